/**
 * @module The server part: `startServer` runs everything `unsub serve` serves in one process (and,
 * with `demo`, the clickable newsletter preview of `npm start`). Only the CLI imports it.
 */
export {
  startServer,
  type StartServerOptions,
  type RunningServer,
  type ServerContext,
  type StopHook,
} from './startServer.js';
export {
  createLogger,
  loggerFromConfig,
  serverLogFrom,
  type Logger,
  type ServerLog,
} from '../logging/index.js';
export { ServerError, type ServerErrorCode } from './serverError.js';
export { resolveAdminToken, adminTokenSettingKey, type ResolvedAdminToken } from './resolveAdminToken.js';
export { seedDemo, resetDemo, demoEmail, demoGroupDefinitions, type DemoData } from './demo/seedDemo.js';
export { createWebhookParts, type WebhookParts } from './createWebhookParts.js';
export { resolveSessionKey, sessionKeySettingKey } from './resolveSessionKey.js';
