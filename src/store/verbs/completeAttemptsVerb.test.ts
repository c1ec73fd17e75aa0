/**
 * @module The UPDATEs that record attempts select their rows by id. Without statistics SQLite would
 * rather walk the `(status, …)` index over every pending delivery (`noIndexPrefix`): the plan of
 * each statement the verb runs is checked here.
 */
import { expect, test } from 'vitest';
import { sqliteTestDatabase } from '../../../test/support/databases.js';
import { migrations } from '../migrations/index.js';
import { runMigrations } from '../runMigrations.js';
import { openSqliteExecutor } from '../sqlite/openSqliteExecutor.js';
import type { SqlExecutor, SqlSession, SqlValue } from '../sqlExecutor.js';
import { createCompleteAttemptsVerb } from './completeAttemptsVerb.js';

test('attempt records update deliveries by row id, never by walking the status index', async (context) => {
  const { sqlitePath = '' } = await sqliteTestDatabase(context);
  const executor = openSqliteExecutor(sqlitePath);
  context.onTestFinished(() => executor.close());
  await runMigrations(executor, migrations);
  await executor.run(
    "INSERT INTO endpoints (slot, url, secrets, created_at, updated_at) VALUES ('*', 'http://a.test/', '[]', 1, 1)",
  );
  await executor.run("INSERT INTO outbox (type, body, created_at) VALUES ('message sent', '{}', 1)");
  await executor.run("INSERT INTO outbox (type, body, created_at) VALUES ('message sent', '{}', 1)");
  for (const [id, eventId] of [
    [1, 1],
    [2, 2],
  ]) {
    await executor.run(
      `INSERT INTO deliveries (id, event_id, endpoint_id, event_type, webhook_id, status, next_attempt_at,
         lease_owner, lease_expires_at, created_at, updated_at)
       VALUES (?, ?, 1, 'message sent', ?, 'pending', 1, 'w', 100, 1, 1)`,
      [id as number, eventId as number, `msg_${id}`],
    );
  }

  // Every UPDATE of deliveries the verb runs, with its parameters.
  const updates: { sql: string; params: readonly SqlValue[] }[] = [];
  const record = (session: SqlSession): SqlSession => ({
    ...session,
    all: (sql, params = []) => {
      if (/^\s*UPDATE deliveries/.test(sql)) updates.push({ sql, params });
      return session.all(sql, params);
    },
    run: (sql, params = []) => {
      if (/^\s*UPDATE deliveries/.test(sql)) updates.push({ sql, params });
      return session.run(sql, params);
    },
  });
  const recording: SqlExecutor = {
    ...executor,
    transaction: (fn) => executor.transaction((tx) => fn(record(tx))),
  };
  const attempt = (status: number) => ({ at: 2, status, durationMs: 1, error: null, responseExcerpt: '' });
  expect(
    await createCompleteAttemptsVerb(recording).completeAttempts([
      { deliveryId: 1, owner: 'w', outcome: 'succeeded', at: 3, attempt: attempt(204) },
      { deliveryId: 2, owner: 'w', outcome: 'pending', nextAttemptAt: 50, at: 3, attempt: attempt(503) },
    ]),
  ).toEqual([true, true]);

  expect(updates.length).toBeGreaterThanOrEqual(2);
  for (const { sql, params } of updates) {
    const plan = await executor.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, params);
    const details = plan.map((step) => step.detail).join(' | ');
    expect(details, sql).not.toMatch(/deliveries_status/);
    expect(details, sql).toMatch(/INTEGER PRIMARY KEY/);
  }
});
