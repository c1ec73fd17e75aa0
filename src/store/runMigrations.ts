/**
 * @module Applies the pending numbered migrations in one transaction, recorded in `schema_migrations`.
 *
 * Safe when several processes start at once: the transaction first takes the backend's migration
 * lock (PostgreSQL: `pg_advisory_xact_lock` in `migrationPrelude`; SQLite: the write lock `BEGIN
 * IMMEDIATE` takes), and only then reads which migrations are applied — so the second process
 * waits, then sees the first one's work and applies nothing.
 */
import type { SqlExecutor } from './sqlExecutor.js';
import { StoreError } from './storeError.js';
import type { Migration } from './migrations/index.js';

/**
 * Applies every migration of `list` not yet recorded; returns the ids applied by this call.
 * Ids in the database that this code does not know (a newer version ran) are left alone, so a
 * rolling deploy can run old and new processes side by side.
 * @throws StoreError `migration_failed` naming the migration, with the driver error as `cause`.
 */
export async function runMigrations(
  executor: SqlExecutor,
  list: readonly Migration[],
  now: () => number = Date.now,
): Promise<number[]> {
  const backend = executor.capabilities.name;
  const ordered = [...list].sort((a, b) => a.id - b.id);
  return executor.transaction(async (tx) => {
    for (const statement of executor.migrationPrelude) await tx.exec(statement);
    await tx.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
    );
    const rows = await tx.all<{ id: number }>('SELECT id FROM schema_migrations');
    const applied = new Set(rows.map((row) => Number(row.id)));
    const done: number[] = [];
    for (const migration of ordered) {
      if (applied.has(migration.id)) continue;
      try {
        await tx.exec(migration.sql[backend]);
      } catch (error) {
        throw new StoreError(
          'migration_failed',
          `migration ${migration.id} (${migration.name}) failed on ${backend}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      await tx.run('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)', [
        migration.id,
        migration.name,
        now(),
      ]);
      done.push(migration.id);
    }
    return done;
  });
}
