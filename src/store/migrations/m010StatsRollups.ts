/**
 * @module Migration 10: hourly rollups for the dashboard instead of two indexes on the hot tables.
 *
 * Migration 8 gave the stats routes `deliveries_endpoint_hour` and `attempts_hour`. Every delivery
 * completion paid for both (a new entry in each per attempt), which cost SQLite dispatch about a
 * fifth of its throughput (`sqlite_ratio` 0.466 → 0.32–0.38). The dashboard needs only counts per
 * hour, so the completion verb now adds its batch's counts to two small tables, one upsert per
 * batch, and the routes read those:
 *
 * - `delivery_stats_hourly`: attempts per hour (of the attempt's start), endpoint and the outcome
 *   the attempt gave its delivery (`succeeded`, `pending` = a retry is scheduled, `failed`,
 *   `disabled`). Keyed by hour first: "every endpoint" is one range read.
 * - `attempt_latency_hourly`: attempts per hour and duration bucket, the duration kept to two
 *   significant digits (exact below 100 ms; `latencyBucket` in the operations verbs, the same
 *   formula as the backfill's CASE here), so p50/p99 are exact to that precision and an hour has
 *   at most a few hundred rows whatever the traffic.
 * - `shard` in both keys: on PostgreSQL each completion adds to the rows of its connection's shard
 *   (`pg_backend_pid() % 16`), so that concurrent completions of several workers in the same hour do
 *   not queue behind one hot row's lock until each other's COMMIT; the reads sum the shards. SQLite
 *   writes one transaction at a time and uses shard 0 only.
 * - `endpoints.failure_streak`: failed attempts since `first_failure_at`, kept by the completion
 *   verb beside `first_failure_at` (it was a count over `deliveries_endpoint_hour`).
 *
 * Backfill: each stored attempt is counted once; its outcome is its delivery's final status when
 * it is that delivery's latest attempt, otherwise a retry. Attempts the pruner already removed are
 * not in the rollups, as they were not in the counts before. The streak of a failing endpoint is
 * the count the dashboard showed until now (deliveries failed or retrying since the run began).
 * Then the two indexes go: nothing else reads by them (the lists and the pruner use
 * `deliveries_endpoint`, `deliveries_status`, `attempts_delivery`).
 */
import type { Migration } from './migration.js';

const hourMs = 3_600_000;

/** The latency bucket of `duration_ms`: two significant digits (see `latencyBucket`). */
const bucket = `CASE WHEN duration_ms < 100 THEN duration_ms
  WHEN duration_ms < 1000 THEN duration_ms / 10 * 10
  WHEN duration_ms < 10000 THEN duration_ms / 100 * 100
  WHEN duration_ms < 100000 THEN duration_ms / 1000 * 1000
  ELSE duration_ms / 10000 * 10000 END`;

const common = (bigint: string, withoutRowid: string) => `
CREATE TABLE delivery_stats_hourly (
  hour ${bigint} NOT NULL,
  endpoint_id INTEGER NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'pending', 'failed', 'disabled')),
  shard INTEGER NOT NULL,
  attempts ${bigint} NOT NULL,
  PRIMARY KEY (hour, endpoint_id, outcome, shard)
)${withoutRowid};
CREATE TABLE attempt_latency_hourly (
  hour ${bigint} NOT NULL,
  bucket_ms ${bigint} NOT NULL,
  shard INTEGER NOT NULL,
  attempts ${bigint} NOT NULL,
  PRIMARY KEY (hour, bucket_ms, shard)
)${withoutRowid};
INSERT INTO delivery_stats_hourly (hour, endpoint_id, outcome, shard, attempts)
SELECT a.at / ${hourMs}, d.endpoint_id,
  CASE WHEN d.status IN ('succeeded', 'failed', 'disabled')
        AND a.id = (SELECT MAX(l.id) FROM attempts l WHERE l.delivery_id = a.delivery_id)
       THEN d.status ELSE 'pending' END,
  0, COUNT(*)
FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
GROUP BY 1, 2, 3;
INSERT INTO attempt_latency_hourly (hour, bucket_ms, shard, attempts)
SELECT at / ${hourMs}, ${bucket}, 0, COUNT(*) FROM attempts GROUP BY 1, 2;
ALTER TABLE endpoints ADD COLUMN failure_streak INTEGER NOT NULL DEFAULT 0;
UPDATE endpoints SET failure_streak = (
  SELECT COUNT(*) FROM deliveries d
  WHERE d.endpoint_id = endpoints.id AND d.updated_at >= endpoints.first_failure_at
    AND (d.status = 'failed' OR (d.status = 'pending' AND d.attempts > 0)))
WHERE first_failure_at IS NOT NULL;
DROP INDEX deliveries_endpoint_hour;
DROP INDEX attempts_hour;
`;

/** The stats rollups, their backfill, the endpoints' failure streak; drops migration 8's hour indexes. */
export const m010StatsRollups: Migration = {
  id: 10,
  name: 'hourly stats rollups',
  sql: { sqlite: common('INTEGER', ' WITHOUT ROWID'), postgres: common('BIGINT', '') },
};
