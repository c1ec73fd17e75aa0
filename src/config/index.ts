/**
 * @module Configuration: the environment → a zod-validated `Config`. `process.env` is read here and
 * nowhere else; a bad value stops the program with the variable's name and what is expected.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { UnsubError } from '../errors/index.js';

/** A configuration problem: names the variable and what it expects. */
export class ConfigError extends UnsubError<'config_invalid'> {
  constructor(message: string, field: string) {
    super('config_invalid', message, { field });
  }
}

const booleanText = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], {
    error: 'must be one of true/false, 1/0, yes/no, on/off',
  })
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value));

const absoluteHttpUrl = z
  .string()
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL, e.g. https://unsub.example.com')
  .transform((value) => value.replace(/\/+$/, ''));

/** The raw environment schema: one entry per variable, documented in README.md. */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  UNSUB_HOST: z.string().min(1).default('0.0.0.0'),
  UNSUB_DATA_DIR: z.string().min(1).default('./data'),
  UNSUB_DATABASE_URL: z
    .string()
    .refine((value) => /^(postgres|postgresql|sqlite):/.test(value), {
      message: 'must be postgres://user@host:port/db (or sqlite:PATH); leave unset for ./data/unsub.db',
    })
    .optional(),
  UNSUB_BASE_URL: absoluteHttpUrl.optional(),
  UNSUB_ADMIN_TOKEN: z
    .string()
    .min(24, 'must be at least 24 characters (e.g. `openssl rand -hex 24`)')
    .optional(),
  UNSUB_CONFIRM: booleanText.default(true),
  UNSUB_KEYS_FILE: z.string().min(1).optional(),
  UNSUB_LINK_MAX_AGE_DAYS: z.coerce
    .number()
    .int()
    .min(60, 'must be at least 60 days (links must outlive CAN-SPAM’s 30-day window); unset for never')
    .optional(),
  UNSUB_WEBHOOK_ALLOW: z.string().optional(),
  UNSUB_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(15_000),
  UNSUB_WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(64),
  UNSUB_WEBHOOK_ENDPOINT_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  UNSUB_RETRY_SCHEDULE: z.string().optional(),
  UNSUB_WORKER: booleanText.default(true),
  UNSUB_SQLITE_THREAD: booleanText.default(true),
  UNSUB_LOG: z.enum(['silent', 'error', 'info', 'debug']).default('info'),
  UNSUB_MAIL_FROM: z
    .string()
    .refine((value) => /^[^\r\n]*[^\s@<>]@[^\s@<>]+\.[^\s@<>]+>?\s*$/.test(value), {
      message: 'must be a sender address, e.g. "Northwind <news@northwind.example.com>"',
    })
    .optional(),
  UNSUB_LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  UNSUB_RETENTION_DAYS: z.coerce
    .number({ error: 'must be a number of days, e.g. 30 (fractions allowed: 0.5 is 12 hours)' })
    .positive('must be more than 0 days (history is kept at least that long)')
    .max(36_500, 'must be at most 36500 days')
    .default(30),
  UNSUB_AUDIT_RETENTION_DAYS: z.coerce
    .number({ error: 'must be a number of days, e.g. 365, or 0 to keep the audit log for ever' })
    .min(0, 'must be 0 (keep for ever) or more days')
    .max(36_500, 'must be at most 36500 days')
    .default(365),
  UNSUB_WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(250),
  UNSUB_RENDER_THREADS: z.coerce
    .number({ error: 'must be a whole number of threads, 0 to render on the request thread' })
    .int('must be a whole number of threads, 0 to render on the request thread')
    .min(0, 'must be 0 (render on the request thread) or more')
    .max(64, 'must be at most 64 threads')
    .optional(),
});

/** The validated configuration every entry point (serve, worker, CLI) receives. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** `postgres://…` selects PostgreSQL; otherwise the SQLite file below. */
  databaseUrl: string | undefined;
  sqlitePath: string;
  /** Public base of the links, e.g. `https://unsub.example.com`; defaults to http://localhost:PORT. */
  baseUrl: string;
  baseUrlFromDefault: boolean;
  adminToken: string | undefined;
  confirm: boolean;
  keysFile: string;
  linkMaxAgeDays: number | undefined;
  webhookAllow: string[];
  webhookTimeoutMs: number;
  webhookConcurrency: number;
  webhookEndpointConcurrency: number;
  /** Retry delays in ms, the shape of webhooks' `retrySchedule` (entry n = the wait before attempt n+1, so it
   * usually starts with 0); undefined for the standard schedule. */
  retryScheduleMs: number[] | undefined;
  runWorker: boolean;
  /** SQLite: `serve` and `worker` run the database on its own thread (see `StoreOptions.thread`). */
  sqliteThread: boolean;
  log: 'silent' | 'error' | 'info' | 'debug';
  /** Default `From` of rendered `.eml` messages (a request's `from` wins); undefined when unset. */
  mailFrom: string | undefined;
  /** `json` lines, `pretty` for people, `auto`: pretty when stdout is a terminal. */
  logFormat: 'auto' | 'json' | 'pretty';
  /** Render threads of the templates API (0: render on the request's thread); default one per core, at most 4. */
  renderThreads: number;
  /** Finished webhook history older than this many days is pruned (the console setting overrides it). */
  retentionDays: number;
  /** Audit log entries older than this many days are pruned; 0 keeps them for ever. */
  auditRetentionDays: number;
  /** How often an idle dispatcher looks for work when no signal woke it (ms). */
  webhookPollMs: number;
}

/** Parses `UNSUB_RETRY_SCHEDULE`, e.g. `0,50ms,100ms,1s` (units ms, s, m, h; bare numbers are ms). */
function parseSchedule(text: string): number[] {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, '': 1 };
  return text.split(',').map((part, index) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|)\s*$/.exec(part);
    const unit = match ? units[match[2] ?? ''] : undefined;
    if (!match || unit === undefined) {
      throw new ConfigError(
        `UNSUB_RETRY_SCHEDULE item ${index + 1} "${part}" must be a duration such as 500ms, 5s, 5m or 2h`,
        'UNSUB_RETRY_SCHEDULE',
      );
    }
    return Math.round(Number(match[1]) * unit);
  });
}

/**
 * Reads the configuration from an environment (default `process.env`).
 * @throws ConfigError naming the first variable at fault and what it expects.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(`${name} ${issue?.message ?? 'is invalid'}`, name);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.UNSUB_DATA_DIR);
  const sqliteUrl = e.UNSUB_DATABASE_URL?.startsWith('sqlite:') ? e.UNSUB_DATABASE_URL.slice(7) : undefined;
  return {
    port: e.PORT,
    host: e.UNSUB_HOST,
    dataDir,
    databaseUrl: sqliteUrl === undefined ? e.UNSUB_DATABASE_URL : undefined,
    sqlitePath: sqliteUrl ? path.resolve(sqliteUrl) : path.join(dataDir, 'unsub.db'),
    baseUrl: e.UNSUB_BASE_URL ?? `http://localhost:${e.PORT}`,
    baseUrlFromDefault: e.UNSUB_BASE_URL === undefined,
    adminToken: e.UNSUB_ADMIN_TOKEN,
    confirm: e.UNSUB_CONFIRM,
    keysFile: path.resolve(e.UNSUB_KEYS_FILE ?? path.join(dataDir, 'keys.json')),
    linkMaxAgeDays: e.UNSUB_LINK_MAX_AGE_DAYS,
    webhookAllow: (e.UNSUB_WEBHOOK_ALLOW ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
    webhookTimeoutMs: e.UNSUB_WEBHOOK_TIMEOUT_MS,
    webhookConcurrency: e.UNSUB_WEBHOOK_CONCURRENCY,
    webhookEndpointConcurrency: e.UNSUB_WEBHOOK_ENDPOINT_CONCURRENCY,
    retryScheduleMs: e.UNSUB_RETRY_SCHEDULE ? parseSchedule(e.UNSUB_RETRY_SCHEDULE) : undefined,
    runWorker: e.UNSUB_WORKER,
    sqliteThread: e.UNSUB_SQLITE_THREAD,
    log: e.UNSUB_LOG,
    mailFrom: e.UNSUB_MAIL_FROM,
    logFormat: e.UNSUB_LOG_FORMAT,
    retentionDays: e.UNSUB_RETENTION_DAYS,
    auditRetentionDays: e.UNSUB_AUDIT_RETENTION_DAYS,
    webhookPollMs: e.UNSUB_WEBHOOK_POLL_MS,
    renderThreads: e.UNSUB_RENDER_THREADS ?? Math.min(4, availableParallelism()),
  };
}
