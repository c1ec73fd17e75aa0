/**
 * @module The logging part: one pino logger per process (JSON lines on stdout, or human-readable on
 * a terminal) and the small `ServerLog` face the rest of the program writes start-up notices to.
 * Nothing below `http/` and `server/` logs by itself; it reports to what it was given.
 */
export {
  createLogger,
  loggerFromConfig,
  type LogFormat,
  type LoggerOptions,
  type Logger,
} from './createLogger.js';
export { serverLogFrom, type ServerLog } from './serverLog.js';
