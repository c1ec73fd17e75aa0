/**
 * @module Opens the store the options ask for (PostgreSQL for a `postgres://` URL, else the SQLite
 * file) and applies pending migrations before returning it.
 */
import path from 'node:path';
import { createSqlStore } from './createSqlStore.js';
import { migrations } from './migrations/index.js';
import { openPostgresExecutor } from './postgres/openPostgresExecutor.js';
import { runMigrations } from './runMigrations.js';
import { openSqliteExecutor } from './sqlite/openSqliteExecutor.js';
import { openStoreThread, type StoreThread } from './sqlite/openStoreThread.js';
import type { SqlExecutor } from './sqlExecutor.js';
import { StoreError } from './storeError.js';
import type { Store, StoreOptions } from './types.js';

/** The embedded default database file. */
export const defaultSqlitePath = path.join('data', 'unsub.db');

/** True when `url` selects the PostgreSQL backend. */
export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//i.test(url);
}

/**
 * Opens the store: PostgreSQL when `databaseUrl` starts with `postgres://` (or `postgresql://`),
 * otherwise SQLite at `sqlitePath` (default `./data/unsub.db`). Migrations are applied first; two
 * processes opening one fresh database at once both succeed.
 * @throws StoreError `unavailable` when the database cannot be reached or opened,
 * `migration_failed`, `invalid_option`.
 */
export async function openStore(options: StoreOptions = {}): Promise<Store> {
  const postgres = isPostgresUrl(options.databaseUrl);
  const sqlitePath = options.sqlitePath ?? defaultSqlitePath;
  let executor: SqlExecutor;
  try {
    executor = postgres
      ? openPostgresExecutor({
          url: options.databaseUrl as string,
          schema: options.schema,
          poolSize: options.poolSize,
        })
      : openSqliteExecutor(sqlitePath);
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw unavailable(options, error);
  }
  try {
    await runMigrations(executor, migrations);
  } catch (error) {
    await executor.close().catch(() => undefined);
    if (error instanceof StoreError) throw error;
    throw unavailable(options, error);
  }
  const store = createSqlStore(executor);
  if (postgres || options.thread !== true || sqlitePath === ':memory:') return store;
  // The dispatcher's verbs run on their own thread (see openStoreThread); the rest stay here.
  let thread: StoreThread;
  try {
    thread = await openStoreThread(sqlitePath);
  } catch (error) {
    await store.close().catch(() => undefined);
    if (error instanceof StoreError) throw error;
    throw unavailable(options, error);
  }
  return {
    ...store,
    ...thread, // its verbs (`threadedVerbs`) replace the main connection's
    async close() {
      try {
        await thread.close();
      } finally {
        await store.close();
      }
    },
  };
}

/** A connection/open failure, naming the database without its password. */
function unavailable(options: StoreOptions, cause: unknown): StoreError {
  const where = isPostgresUrl(options.databaseUrl)
    ? redactUrl(options.databaseUrl)
    : path.resolve(options.sqlitePath ?? defaultSqlitePath);
  return new StoreError('unavailable', `cannot open the database at ${where}: ${(cause as Error).message}`, {
    cause,
    field: isPostgresUrl(options.databaseUrl) ? 'databaseUrl' : 'sqlitePath',
  });
}

/** `url` with any password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
