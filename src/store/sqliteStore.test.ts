/**
 * @module Runs the store contract on SQLite, plus SQLite-only checks (file creation, pragmas).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { sqliteTestDatabase } from '../../test/support/databases.js';
import { migrations } from './migrations/index.js';
import { openStore } from './openStore.js';
import { runMigrations } from './runMigrations.js';
import { openSqliteExecutor } from './sqlite/openSqliteExecutor.js';
import { runOperationsContract } from './operationsContract.js';
import { runOrderingContract } from './orderingContract.js';
import { runRetentionContract } from './retentionContract.js';
import { runStoreContract } from './storeContract.js';
import { runTemplatesContract } from './templatesContract.js';
import { runWebhooksContract } from './webhooksContract.js';
import { runSmsRepliesContract } from './smsRepliesContract.js';
import { runStatsRollupsContract } from './statsRollupsContract.js';

runStoreContract({ name: 'sqlite', makeDatabase: sqliteTestDatabase });
runWebhooksContract({ name: 'sqlite', makeDatabase: sqliteTestDatabase });
runOperationsContract({ name: 'sqlite', makeDatabase: sqliteTestDatabase });
runSmsRepliesContract({ name: 'sqlite', makeDatabase: sqliteTestDatabase });
runTemplatesContract({ name: 'sqlite', makeDatabase: sqliteTestDatabase });
runRetentionContract({ name: 'sqlite', makeDatabase: sqliteTestDatabase });
runStatsRollupsContract({ name: 'sqlite', makeDatabase: sqliteTestDatabase });
// The dispatch verbs on their own thread write the rollups the main connection reads.
runStatsRollupsContract({
  name: 'sqlite, dispatch thread',
  makeDatabase: async (context) => ({ ...(await sqliteTestDatabase(context)), thread: true }),
});
// The same contract with the dispatch verbs on their own thread (as `unsub serve` runs them).
runWebhooksContract({
  name: 'sqlite, dispatch thread',
  makeDatabase: async (context) => ({ ...(await sqliteTestDatabase(context)), thread: true }),
});
runOrderingContract({
  name: 'sqlite, dispatch thread',
  makeDatabase: async (context) => ({ ...(await sqliteTestDatabase(context)), thread: true }),
});

const storeEntry = fileURLToPath(new URL('./index.ts', import.meta.url));
/** The repository root: `--import tsx` resolves tsx from the working directory. */
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

test('sqlite: two processes opening one fresh file at once both migrate and write', async (context) => {
  const { sqlitePath } = await sqliteTestDatabase(context);
  // Each child opens the store (running migrations) and creates one group.
  const script = (name: string) => `
    const { openStore } = await import(${JSON.stringify(storeEntry)});
    const store = await openStore({ sqlitePath: ${JSON.stringify(sqlitePath)} });
    await store.createGroup({ name: '${name}', systemName: '${name}', channel: 'email' }, 1);
    await store.close();`;
  const run = promisify(execFile);
  await Promise.all(
    ['one', 'two'].map((name) =>
      run(process.execPath, ['--import', 'tsx', '-e', script(name)], { cwd: repoRoot }),
    ),
  );
  const executor = openSqliteExecutor(sqlitePath ?? '');
  try {
    expect(await executor.all('SELECT system_name FROM mailing_groups ORDER BY system_name')).toEqual([
      { system_name: 'one' },
      { system_name: 'two' },
    ]);
    expect(await executor.all('SELECT id FROM schema_migrations ORDER BY id')).toEqual(
      migrations.map((migration) => ({ id: migration.id })),
    );
  } finally {
    await executor.close();
  }
});

test('sqlite: creates the parent directory and records migrations once', async (context) => {
  const { sqlitePath } = await sqliteTestDatabase(context);
  const nested = path.join(path.dirname(sqlitePath ?? ''), 'a', 'b', 'unsub.db');
  const store = await openStore({ sqlitePath: nested });
  await store.close();
  expect(fs.existsSync(nested)).toBe(true);
  const executor = openSqliteExecutor(nested);
  try {
    expect(await runMigrations(executor, migrations)).toEqual([]);
    const rows = await executor.all('SELECT id, name FROM schema_migrations ORDER BY id');
    // Every migration once, in id order (derived from the list, so a new migration needs no edit here).
    expect(rows).toEqual(migrations.map(({ id, name }) => ({ id, name })));
    expect(await executor.all('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    // A new file reclaims pages incrementally (2) and overwrites deleted rows (retention, erasure).
    expect(await executor.all('PRAGMA auto_vacuum')).toEqual([{ auto_vacuum: 2 }]);
    expect(await executor.all('PRAGMA secure_delete')).toEqual([{ secure_delete: 1 }]);
  } finally {
    await executor.close();
  }
});

test('sqlite: a failing migration names itself and applies nothing', async (context) => {
  const { sqlitePath } = await sqliteTestDatabase(context);
  const executor = openSqliteExecutor(sqlitePath ?? '');
  try {
    const broken = { id: 99, name: 'broken', sql: { sqlite: 'CREATE TABLE nope (;', postgres: '' } };
    await expect(runMigrations(executor, [...migrations, broken])).rejects.toMatchObject({
      code: 'migration_failed',
      message: expect.stringContaining('migration 99 (broken)'),
    });
    expect(await executor.all("SELECT name FROM sqlite_master WHERE name = 'contacts'")).toEqual([]);
  } finally {
    await executor.close();
  }
});
