/**
 * @module `ServerLog`: the three-method log that start-up code, the dispatcher and the worker write
 * plain sentences to; backed by the process's pino logger so every line is structured.
 */
import type { Logger } from 'pino';

/** Where the server writes what it does. */
export interface ServerLog {
  /** Something worth knowing happened (start-up, a state change). */
  info(message: string): void;
  /** Something needs the operator's attention but the work goes on. */
  warn(message: string): void;
  /** Something failed; `error` (if any) is logged with its type, message and stack. */
  error(message: string, error?: unknown): void;
}

/**
 * A `ServerLog` writing to `logger`. An error goes under `err` (pino's error serializer: type,
 * message, stack), so a log platform can group it.
 */
export function serverLogFrom(logger: Logger): ServerLog {
  return {
    info: (message) => logger.info(message),
    warn: (message) => logger.warn(message),
    error: (message, error) => {
      if (error === undefined) logger.error(message);
      else logger.error({ err: error }, message);
    },
  };
}
