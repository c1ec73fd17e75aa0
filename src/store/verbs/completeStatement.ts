/**
 * @module `completeAttempts` of a batch of plain successes as one statement (PostgreSQL): the
 * fenced UPDATE of the deliveries (each with its attempt), the hourly rollups and the end of their
 * endpoints' failure runs in a single round trip with no BEGIN/COMMIT (one statement is atomic on
 * its own). The transaction of `completeAttemptsVerb.ts` took BEGIN, the UPDATE, the attempts
 * INSERT (rollups in front), an UPDATE of each endpoint and COMMIT: five round trips for the
 * common batch. Batches with any other outcome (a retry, a failure, a disable) keep the
 * transaction: they are rare, and their rules (failure runs in attempt order, parking) read best
 * as code.
 *
 * The attempt is not an `attempts` row but the delivery's own `success_*` columns (migration 12):
 * a success is final, so the row holds it until a manual retry moves it to `attempts`. That saves
 * the INSERT's heap row, two index entries and its foreign-key probe per delivery; the log reads
 * both places (`getDelivery`). The transaction below keeps writing `attempts` rows for the
 * successes of mixed batches (and on SQLite): the readers do not care where an attempt lives.
 *
 * It commits without waiting for the WAL flush (`commitWithoutFlush`: a crash of the server may
 * lose the last completions, whose deliveries are then sent again with the same id).
 *
 * Fencing is the transaction's: a row is updated only while `pending` and leased to the result's
 * owner (READ COMMITTED re-checks both on the newest row version when it waited for another
 * writer), and only the rows the UPDATE returned get an attempt and a count in the rollups, so a
 * late result from a lost lease is neither applied nor counted.
 *
 * The batch travels as one JSON parameter, so the statement has one text (prepared once per
 * connection) whatever its size. Hour and latency bucket are computed here, as for the
 * transaction (`rollupRows`), not in SQL. The ids also go as an array for `d.id = ANY(…)`: joined
 * only to the JSON rows (which the planner guesses at 100), PostgreSQL read every pending row
 * through the claim index and hashed them (auto_explain: 256 rows for 192 results with an empty
 * backlog, all of them with a full one); with the array it looks the ids up in the primary key.
 * Even then it ANDed that with a bitmap of the claim index (every pending entry), because
 * `status = 'pending'` is that partial index's predicate: the status is tested inside a CASE,
 * which the planner cannot match to the index — the role of SQLite's `noIndexPrefix` in the
 * transaction. Not as `(d.status || '') = 'pending'`, as it was: the planner gives an equality on
 * an expression a selectivity of 0.5 %, costed the deliveries at one row and joined the results
 * to them in a nested loop — every delivery compared with every result, 4,032 comparisons and
 * 1.5 of the statement's 2.3 ms for a batch of 64 (auto_explain, a connection's custom plans). A
 * CASE counts as half the rows, and the join is a hash (`completeStatement.test.ts`).
 */
import type { SqlExecutor } from '../sqlExecutor.js';
import type { CompleteAttemptInput } from '../types.js';
import { commitWithoutFlush } from './commitWithoutFlush.js';
import { hourMs, latencyBucket } from './statsRollups.js';

const completeSql = `WITH r AS (
  SELECT * FROM json_to_recordset(?::json) AS r(id bigint, owner text, status int, at bigint,
    attempt_at bigint, duration_ms int, excerpt text, hour bigint, bucket bigint)
), done AS (
  -- The attempt goes into the row (migration 12), with an id from the attempts' sequence.
  UPDATE deliveries d SET status = 'succeeded', attempts = d.attempts + 1, next_attempt_at = NULL,
    lease_owner = NULL, lease_expires_at = NULL, last_status = r.status, last_error = NULL, updated_at = r.at,
    success_attempt_id = nextval('attempts_id_seq'), success_at = r.attempt_at,
    success_duration_ms = r.duration_ms, success_excerpt = r.excerpt, success_worker = r.owner
  FROM r WHERE d.id = ANY(?::bigint[]) AND d.id = r.id AND CASE WHEN d.status = 'pending' THEN true END
    AND d.lease_owner = r.owner
  RETURNING d.id, d.endpoint_id, r.hour, r.bucket
), outcomes AS (
  -- Key order: concurrent completions take the rollup rows' locks in one order (no deadlock).
  INSERT INTO delivery_stats_hourly (hour, endpoint_id, outcome, shard, attempts)
  SELECT hour, endpoint_id, 'succeeded', pg_backend_pid() % 16, count(*) FROM done
  GROUP BY hour, endpoint_id ORDER BY hour, endpoint_id
  ON CONFLICT (hour, endpoint_id, outcome, shard)
  DO UPDATE SET attempts = delivery_stats_hourly.attempts + excluded.attempts
), latency AS (
  INSERT INTO attempt_latency_hourly (hour, bucket_ms, shard, attempts)
  SELECT hour, bucket, pg_backend_pid() % 16, count(*) FROM done
  GROUP BY hour, bucket ORDER BY hour, bucket
  ON CONFLICT (hour, bucket_ms, shard)
  DO UPDATE SET attempts = attempt_latency_hourly.attempts + excluded.attempts
), settled AS (
  -- A success ends its endpoint's failure run. Only endpoints with a run open are written (and
  -- locked), in id order as the transaction does.
  UPDATE endpoints e SET first_failure_at = NULL, failure_streak = 0
  FROM (SELECT id FROM endpoints
        WHERE id IN (SELECT endpoint_id FROM done) AND (first_failure_at IS NOT NULL OR failure_streak <> 0)
        ORDER BY id FOR UPDATE) AS l
  WHERE e.id = l.id
)
SELECT id FROM done WHERE ${commitWithoutFlush}`;

/**
 * One result as a row of the statement's JSON parameter (`r` in the statement): hour and latency
 * bucket computed here, as for the transaction (`rollupRows`).
 */
export function completionRow(result: CompleteAttemptInput) {
  return {
    id: result.deliveryId,
    owner: result.owner,
    status: result.attempt.status,
    at: result.at,
    attempt_at: result.attempt.at,
    duration_ms: Math.round(result.attempt.durationMs),
    excerpt: result.attempt.responseExcerpt,
    hour: Math.floor(result.attempt.at / hourMs),
    bucket: latencyBucket(result.attempt.durationMs),
  };
}

/** True for the results this statement records: a success with no error and no disable. */
export function isPlainSuccess(result: CompleteAttemptInput): boolean {
  return (
    result.outcome === 'succeeded' && result.disableEndpoint === undefined && result.attempt.error === null
  );
}

/**
 * `completeAttempts` of plain successes only (see `isPlainSuccess`) in one statement
 * (PostgreSQL); the same answer as the transaction: per result, whether it was recorded. A batch
 * holds one result per delivery (the dispatcher sends each once); should one appear twice, only
 * its last result may be recorded.
 */
export function createCompleteStatement(executor: SqlExecutor) {
  return async function completePlainSuccesses(results: readonly CompleteAttemptInput[]): Promise<boolean[]> {
    const lastIndexOf = new Map<number, number>();
    results.forEach((result, index) => lastIndexOf.set(result.deliveryId, index));
    const rows = [...lastIndexOf.values()].map((index) =>
      completionRow(results[index] as CompleteAttemptInput),
    );
    const recorded = await executor.all<{ id: number | string }>(completeSql, [
      JSON.stringify(rows),
      `{${rows.map((row) => row.id).join(',')}}`,
    ]);
    const applied = new Set(recorded.map((row) => Number(row.id)));
    return results.map(
      (result, index) => applied.has(result.deliveryId) && lastIndexOf.get(result.deliveryId) === index,
    );
  };
}
