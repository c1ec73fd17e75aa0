/**
 * @module The server's own error: start-up failures that are not another part's (the port is
 * taken, the data directory cannot be created), with a message naming what to change.
 */
import { UnsubError, type UnsubErrorOptions } from '../errors/index.js';

/** Stable codes of `ServerError`. */
export type ServerErrorCode = 'listen_failed' | 'data_dir_failed' | 'demo_failed';

/** `unsub serve` could not start. */
export class ServerError extends UnsubError<ServerErrorCode> {
  constructor(code: ServerErrorCode, message: string, options: UnsubErrorOptions = {}) {
    super(code, message, options);
  }
}
