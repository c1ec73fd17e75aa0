/**
 * @module PostgreSQL: only one process prunes at a time. While another session holds the pruning
 * advisory lock of this schema, `pruneHistory` does nothing and says so (`locked: false`); once it
 * is released, pruning proceeds. The lock is per schema, so other installations are not held up.
 */
import { expect, test } from 'vitest';
import { outboxEvent } from '../../src/store/index.js';
import {
  openTestStore,
  postgresAvailable,
  postgresTestDatabase,
  testPostgresClient,
} from '../support/databases.js';

const available = await postgresAvailable('the pruning lock test');

test.skipIf(!available)('postgres: a second pruner skips while the first holds the lock', async (context) => {
  const options = await postgresTestDatabase(context);
  const store = await openTestStore(context, options);
  const t0 = 1_700_000_000_000;
  // An old event with no endpoint: dispatched, nothing pending, so it is history.
  await store.appendEvents([outboxEvent({ event: 'message sent', n: 1 })], t0);
  await store.fanOutPending(t0, 10);

  const other = await testPostgresClient(context);
  await other.query('BEGIN');
  await other.query(`SELECT pg_advisory_xact_lock(${0x756e73}, hashtext('prune:' || $1))`, [options.schema]);
  expect(await store.pruneHistory({ before: t0 + 1, limit: 100 })).toMatchObject({
    locked: false,
    events: 0,
  });
  await other.query('COMMIT');
  expect(await store.pruneHistory({ before: t0 + 1, limit: 100 })).toMatchObject({ locked: true, events: 1 });
  expect(await store.listOutbox()).toEqual([]);
});
