/**
 * @module `commitWithoutFlush` turns off the WAL-flush wait for its own statement's transaction
 * only: the statement after it on the same connection commits synchronously again (an event append
 * or a fan-out that followed a claim on a pooled connection must never lose its durability), and
 * inside an explicit transaction it lasts until that transaction ends, no longer.
 */
import { expect, test } from 'vitest';
import { postgresAvailable, testPostgresClient } from '../../../test/support/databases.js';
import { commitWithoutFlush } from './commitWithoutFlush.js';

const available = await postgresAvailable('the commitWithoutFlush check');

test.skipIf(!available)('commitWithoutFlush lasts for its own transaction only', async (context) => {
  const client = await testPostgresClient(context);
  const setting = async () =>
    (await client.query<{ value: string }>("SELECT current_setting('synchronous_commit') AS value")).rows[0]
      ?.value;
  const before = await setting();
  expect(before).not.toBe('off');

  // A statement sent on its own: off while it runs (the condition is evaluated before its rows)…
  const during = await client.query<{ value: string }>(
    `SELECT current_setting('synchronous_commit') AS value FROM (VALUES (1)) AS one (n) WHERE ${commitWithoutFlush}`,
  );
  expect(during.rows).toEqual([{ value: 'off' }]);
  // …and back to the session's setting for the next one.
  expect(await setting()).toBe(before);

  // In an explicit transaction it lasts to its end, and not beyond.
  await client.query('BEGIN');
  await client.query(`SELECT 1 WHERE ${commitWithoutFlush}`);
  expect(await setting()).toBe('off');
  await client.query('COMMIT');
  expect(await setting()).toBe(before);
});
