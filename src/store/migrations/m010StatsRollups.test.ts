/**
 * @module Migration 10 on a database that already has history: the rollups are backfilled from the
 * stored attempts (a delivery's earlier attempts as retries, its latest as its final status), a
 * failing endpoint keeps the streak it showed, and migration 8's hour indexes are gone. Both
 * backends (PostgreSQL when reachable).
 */
import { describe, expect, test } from 'vitest';
import { testBackends } from '../../../test/support/databases.js';
import { createSqlStore } from '../createSqlStore.js';
import { openPostgresExecutor } from '../postgres/openPostgresExecutor.js';
import { runMigrations } from '../runMigrations.js';
import { openSqliteExecutor } from '../sqlite/openSqliteExecutor.js';
import type { SqlExecutor } from '../sqlExecutor.js';
import type { StoreOptions } from '../types.js';
import { migrations } from './index.js';

const hour = 3_600_000;
const minute = 60_000;
const t0 = 1_700_006_400_000;

const openExecutor = (options: StoreOptions): SqlExecutor =>
  options.databaseUrl
    ? openPostgresExecutor({ url: options.databaseUrl, schema: options.schema, poolSize: 2 })
    : openSqliteExecutor(options.sqlitePath ?? '');

/** The indexes among `names` that exist, per backend. */
const indexesSql = {
  sqlite:
    "SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('deliveries_endpoint_hour', 'attempts_hour')",
  postgres: `SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()
    AND indexname IN ('deliveries_endpoint_hour', 'attempts_hour')`,
};

for (const backend of await testBackends('the migration 10 test')) {
  describe(`migration 10 on ${backend.name}`, () => {
    test('backfills the rollups and the failure streak from stored history, then drops the hour indexes', async (context) => {
      const executor = openExecutor(await backend.makeDatabase(context));
      context.onTestFinished(() => executor.close());
      await runMigrations(
        executor,
        migrations.filter((migration) => migration.id < 10),
      );
      expect(await executor.all(indexesSql[backend.name])).toHaveLength(2);
      const id = async (sql: string, params: (string | number | null)[]) =>
        Number((await executor.all<{ id: number }>(`${sql} RETURNING id`, params))[0]?.id);
      const endpoint = (slot: string, firstFailureAt: number | null) =>
        id(
          `INSERT INTO endpoints (slot, event_type, url, secrets, first_failure_at, created_at, updated_at)
           VALUES (?, ?, 'http://e.test/', '[]', ?, 1, 1)`,
          [slot, slot === '*' ? null : slot, firstFailureAt],
        );
      const [one, two] = [await endpoint('*', null), await endpoint('message sent', t0 + 20 * minute)];
      const delivery = async (endpointId: number, status: string, attempts: number, updatedAt: number) => {
        const event = await id(
          "INSERT INTO outbox (type, body, created_at, dispatched_at) VALUES ('message sent', '{}', 1, 1)",
          [],
        );
        return id(
          `INSERT INTO deliveries (event_id, endpoint_id, event_type, webhook_id, status, attempts, created_at, updated_at)
           VALUES (?, ?, 'message sent', ?, ?, ?, 1, ?)`,
          [event, endpointId, `msg_${event}`, status, attempts, updatedAt],
        );
      };
      const attempt = (deliveryId: number, at: number, durationMs: number) =>
        executor.run(
          `INSERT INTO attempts (delivery_id, at, status, duration_ms, error, response_excerpt, worker)
           VALUES (?, ?, 500, ?, NULL, '', 'w')`,
          [deliveryId, at, durationMs],
        );
      // Retried in the first hour, delivered in the second.
      const delivered = await delivery(one, 'succeeded', 2, t0 + hour + 5);
      await attempt(delivered, t0 + 10 * minute, 30);
      await attempt(delivered, t0 + hour + 5, 150);
      // Given up at once; retrying; both on the failing endpoint.
      await attempt(await delivery(two, 'failed', 1, t0 + 20 * minute), t0 + 20 * minute, 1_234);
      await attempt(await delivery(two, 'pending', 1, t0 + 30 * minute), t0 + 30 * minute, 7);
      // Never attempted: counted nowhere.
      await delivery(one, 'pending', 0, t0);

      expect(await runMigrations(executor, migrations)).toEqual(
        migrations.filter((migration) => migration.id >= 10).map((migration) => migration.id),
      );
      expect(await executor.all(indexesSql[backend.name])).toEqual([]);
      const store = createSqlStore(executor);
      const window = { from: t0, to: t0 + 2 * hour };
      expect(await store.deliveriesByHour(window)).toEqual([
        { hour: t0, status: 'failed', retrying: false, count: 1 },
        { hour: t0, status: 'pending', retrying: true, count: 2 },
        { hour: t0 + hour, status: 'succeeded', retrying: false, count: 1 },
      ]);
      expect(await store.deliveriesByHour({ ...window, endpointId: one })).toEqual([
        { hour: t0, status: 'pending', retrying: true, count: 1 },
        { hour: t0 + hour, status: 'succeeded', retrying: false, count: 1 },
      ]);
      expect(await store.attemptLatencyByHour(window)).toEqual([
        { hour: t0, count: 3, p50Ms: 30, p99Ms: 1_200 },
        { hour: t0 + hour, count: 1, p50Ms: 150, p99Ms: 150 },
      ]);
      const health = await store.endpointHealth();
      expect(health.map((row) => [row.id, row.state, row.failureStreak])).toEqual([
        [one, 'enabled', 0],
        [two, 'failing', 2],
      ]);
    });
  });
}
