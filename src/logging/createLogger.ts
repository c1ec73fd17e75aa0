/**
 * @module `createLogger`: the process's pino logger. JSON to stdout by default (what a log platform
 * reads); pino-pretty's human-readable lines when stdout is a terminal or `UNSUB_LOG_FORMAT=pretty`.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** `json` (one object per line), `pretty` (for people), `auto` (pretty on a terminal). */
export type LogFormat = 'json' | 'pretty' | 'auto';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** `UNSUB_LOG`: `silent`, `error`, `info` or `debug`. */
  level: 'silent' | 'error' | 'info' | 'debug';
  /** Default `auto`. */
  format?: LogFormat;
  /** Where the lines go (default stdout); tests pass a memory stream. */
  destination?: DestinationStream;
  /** Whether stdout is a terminal (for `auto`; default `process.stdout.isTTY`). */
  isTty?: boolean;
}

/**
 * UNSUB_LOG names → pino thresholds. `error` keeps warnings: a warning such as "a new signing key
 * was created" must not be missed by an operator who only asked for errors.
 */
const thresholds = { silent: 'silent', error: 'warn', info: 'info', debug: 'debug' } as const;

/** Creates the process's logger (base fields: `name: "unsub"`, pid, hostname). */
export function createLogger(options: LoggerOptions): Logger {
  const format = options.format ?? 'auto';
  const usePretty =
    format === 'pretty' || (format === 'auto' && (options.isTty ?? process.stdout.isTTY === true));
  const settings = { name: 'unsub', level: thresholds[options.level] };
  if (usePretty) {
    const stream = pretty({
      colorize: options.destination === undefined && process.stdout.isTTY === true,
      ignore: 'pid,hostname,name',
      translateTime: 'SYS:HH:MM:ss.l',
      sync: true,
      ...(options.destination ? { destination: options.destination as NodeJS.WritableStream } : {}),
    });
    return pino(settings, stream);
  }
  return pino(settings, options.destination ?? pino.destination({ dest: 1, sync: true }));
}

/** The logger `unsub serve` and `unsub worker` write to: `UNSUB_LOG` level, `UNSUB_LOG_FORMAT`. */
export function loggerFromConfig(config: { log: LoggerOptions['level']; logFormat: LogFormat }): Logger {
  return createLogger({ level: config.log, format: config.logFormat });
}
