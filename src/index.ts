/**
 * @module The public library API of unsub: compile/render templates, the link key ring, the store,
 * the HTTP app, the dispatcher, the event catalog and `verifyWebhook` for receivers.
 */
export { UnsubError, isUnsubError } from './errors/index.js';
export { loadConfig, ConfigError, type Config } from './config/index.js';
export { version } from './version.js';
