/**
 * @module The server's log: three levels written to stderr, filtered by `UNSUB_LOG`. Start-up
 * notices (the listening URL, a new signing key, a new admin token) are `info`/`warn` lines.
 */
import type { Config } from '../config/index.js';

/** Where the server writes what it does. */
export interface ServerLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

const rank: Record<Config['log'], number> = { silent: 0, error: 1, info: 2, debug: 3 };

/**
 * A console-backed log for `level`: `error` shows errors and warnings (a warning such as "a new
 * signing key was created" must not be missed), `info` and `debug` everything, `silent` nothing.
 */
export function consoleServerLog(level: Config['log'], out: Pick<Console, 'error'> = console): ServerLog {
  const at = rank[level];
  return {
    info: (message) => {
      if (at >= rank.info) out.error(`unsub: ${message}`);
    },
    warn: (message) => {
      if (at >= rank.error) out.error(`unsub: warning: ${message}`);
    },
    error: (message, error) => {
      if (at < rank.error) return;
      if (error === undefined) out.error(`unsub: ${message}`);
      else out.error(`unsub: ${message}`, error);
    },
  };
}
