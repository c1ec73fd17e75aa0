/**
 * @module The sender's console (mounted at `/` by `unsub serve`): sign-in with the admin token,
 * webhook settings with test-before-save, the delivery log, page branding with a live preview,
 * groups and contacts — and the generated API documentation at `/api/openapi.json` and `/api/docs`.
 */
export { createConsoleRouter, type ConsoleRouterOptions } from './createConsoleRouter.js';
export { sessionCookieName, sessionLifetimeMs } from './consoleSession.js';
export { consolePolicy } from './consoleContext.js';
