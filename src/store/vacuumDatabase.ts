/**
 * @module `vacuumDatabase`: gives a database's free space back and, on SQLite, switches a file that
 * is too large to convert at start-up to `auto_vacuum=INCREMENTAL` (after which retention reclaims
 * pages by itself). PostgreSQL: a plain VACUUM of the tables history and erasure delete from, so
 * that dead row versions (which still hold erased data) are cleaned out. What `unsub db vacuum` runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { defaultSqlitePath, isPostgresUrl, openStore } from './openStore.js';
import { openPostgresExecutor } from './postgres/openPostgresExecutor.js';
import { ensureIncrementalVacuum } from './sqlite/openSqliteExecutor.js';
import { StoreError } from './storeError.js';
import type { StoreOptions } from './types.js';

/** What a vacuum did. */
export interface VacuumReport {
  backend: 'sqlite' | 'postgres';
  /** SQLite: the file's size before and after (bytes, WAL included). */
  bytesBefore?: number;
  bytesAfter?: number;
  /** SQLite: whether the file now reclaims pages incrementally. */
  incremental?: boolean;
  /** PostgreSQL: the tables vacuumed. */
  tables?: string[];
}

/**
 * Tables whose rows retention and erasure delete or rewrite (their dead versions hold what was
 * erased): the history, the contact's rows, the scrub's own needles, the audit log.
 */
const vacuumedTables = [
  'outbox',
  'deliveries',
  'attempts',
  'contacts',
  'memberships',
  'membership_changes',
  'sms_replies',
  'suppressions',
  'erasure_scrubs',
  'audit_log',
];

function fileBytes(file: string): number {
  return [file, `${file}-wal`].reduce(
    (sum, name) => sum + (fs.existsSync(name) ? fs.statSync(name).size : 0),
    0,
  );
}

/**
 * Vacuums the database of `options` (migrations are applied first). On SQLite it takes the write
 * lock for as long as the rewrite lasts: run it at a quiet time.
 */
export async function vacuumDatabase(options: StoreOptions): Promise<VacuumReport> {
  // Opening applies pending migrations (and converts a small SQLite file on the way).
  const store = await openStore({ ...options, thread: false });
  await store.close();
  if (isPostgresUrl(options.databaseUrl)) {
    const executor = openPostgresExecutor({ url: options.databaseUrl, schema: options.schema, poolSize: 1 });
    try {
      // VACUUM cannot run inside a transaction: one statement per table on the pool.
      for (const table of vacuumedTables) await executor.exec(`VACUUM (ANALYZE) ${table}`);
    } finally {
      await executor.close();
    }
    return { backend: 'postgres', tables: vacuumedTables };
  }
  const file = path.resolve(options.sqlitePath ?? defaultSqlitePath);
  const bytesBefore = fileBytes(file);
  const db = new Database(file, { timeout: 30_000 });
  try {
    const incremental = ensureIncrementalVacuum(db, Number.POSITIVE_INFINITY);
    if (!incremental) {
      throw new StoreError(
        'unavailable',
        `cannot vacuum ${file}: another process holds it; stop it and try again`,
        {
          field: 'sqlitePath',
        },
      );
    }
    // Whatever is still free (e.g. a file that was already incremental), then an empty WAL.
    db.pragma('incremental_vacuum');
    db.pragma('wal_checkpoint(TRUNCATE)');
    return { backend: 'sqlite', bytesBefore, bytesAfter: fileBytes(file), incremental };
  } finally {
    db.close();
  }
}
