/**
 * @module `databaseMaintenance`: on PostgreSQL it reads whether autovacuum looks after unsub's
 * tables — the server's settings, and a table's own `autovacuum_enabled` turned off; on SQLite it
 * does not apply.
 */
import { expect, test } from 'vitest';
import {
  postgresAvailable,
  postgresTestDatabase,
  testPostgresClient,
} from '../../../test/support/databases.js';
import { openStore } from '../openStore.js';

const available = await postgresAvailable('the database maintenance check');

test('SQLite: not applicable', async () => {
  const store = await openStore({ sqlitePath: ':memory:' });
  try {
    expect(await store.databaseMaintenance()).toEqual({ autovacuum: null });
  } finally {
    await store.close();
  }
});

test.skipIf(!available)(
  'PostgreSQL: the server setting, and a hot table turned off alone',
  async (context) => {
    const options = await postgresTestDatabase(context);
    const store = await openStore(options);
    context.onTestFinished(() => store.close());
    const client = await testPostgresClient(context, options.schema);
    const { rows } = await client.query<{ on: boolean }>(
      "SELECT current_setting('autovacuum') = 'on' AND current_setting('track_counts') = 'on' AS on",
    );
    const server = rows[0]?.on;
    expect(await store.databaseMaintenance()).toEqual({ autovacuum: server });

    await client.query('ALTER TABLE deliveries SET (autovacuum_enabled = false)');
    expect(await store.databaseMaintenance()).toEqual({ autovacuum: false });
    await client.query('ALTER TABLE deliveries RESET (autovacuum_enabled)');
    expect(await store.databaseMaintenance()).toEqual({ autovacuum: server });
  },
);
