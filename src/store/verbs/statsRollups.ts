/**
 * @module The dashboard's hourly rollups (migration 10): what one completion batch adds to
 * `delivery_stats_hourly` (attempts per hour, endpoint and outcome) and `attempt_latency_hourly`
 * (attempts per hour and duration bucket), counted in memory and written in one upsert per table
 * per batch — never per attempt, so the dispatcher's cost per delivery does not grow with them.
 *
 * The rows travel as one JSON array parameter per table, so each backend has one statement text
 * per shape whatever the batch holds (both backends cache prepared statements by text; a VALUES list per
 * row count would prepare a new shape for most batches).
 */
import type { SqlSession, SqlValue } from '../sqlExecutor.js';
import type { BackendName, CompleteAttemptInput } from '../types.js';

/** Milliseconds in an hour: rollup hours are `floor(ms / hourMs)`, as migration 8's indexes were. */
export const hourMs = 3_600_000;

/**
 * The latency bucket of a duration: the duration cut to two significant digits (exact below
 * 100 ms, then steps of 10, 100, 1,000 and 10,000 ms), so a quantile read from the buckets is off
 * by less than 10 % of the value and an hour holds a few hundred buckets at most. The same formula
 * as the CASE in migration 10's backfill.
 */
export function latencyBucket(durationMs: number): number {
  const ms = Math.max(0, Math.round(durationMs));
  if (ms < 100) return ms;
  const step = ms < 1_000 ? 10 : ms < 10_000 ? 100 : ms < 100_000 ? 1_000 : 10_000;
  return Math.floor(ms / step) * step;
}

/** One batch's additions: `[hour, endpointId, outcome, attempts]` and `[hour, bucketMs, attempts]`. */
export interface RollupRows {
  outcomes: [number, number, string, number][];
  latency: [number, number, number][];
}

/** Counts the recorded attempts of a batch by (hour, endpoint, outcome) and (hour, bucket), in key order. */
export function rollupRows(
  done: readonly { result: CompleteAttemptInput; endpointId: number }[],
): RollupRows {
  const outcomes = new Map<string, [number, number, string, number]>();
  const latency = new Map<string, [number, number, number]>();
  for (const { result, endpointId } of done) {
    const hour = Math.floor(result.attempt.at / hourMs);
    const outcomeKey = `${hour}|${endpointId}|${result.outcome}`;
    const outcome = outcomes.get(outcomeKey);
    if (outcome) outcome[3] += 1;
    else outcomes.set(outcomeKey, [hour, endpointId, result.outcome, 1]);
    const bucket = latencyBucket(result.attempt.durationMs);
    const latencyKey = `${hour}|${bucket}`;
    const entry = latency.get(latencyKey);
    if (entry) entry[2] += 1;
    else latency.set(latencyKey, [hour, bucket, 1]);
  }
  // Key order: on PostgreSQL concurrent completions then take the rows' locks in one order (no
  // deadlock between two batches that touch the same hours).
  return {
    outcomes: [...outcomes.values()].sort(
      (a, b) => a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0),
    ),
    latency: [...latency.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]),
  };
}

/** SQL of a backend's rollup write and which arrays it binds, in placeholder order. */
interface RollupStatement {
  sql: string;
  binds: readonly (keyof RollupRows)[];
}

/** How a backend writes the rollups of a completion batch. */
export interface RollupDialect {
  /** A `WITH …` clause put in front of the batch's last attempts INSERT; its binds come first. */
  withClause: RollupStatement | null;
  /** Statements of their own, run after the batch's other writes. */
  statements: readonly RollupStatement[];
}

const addOutcomes = `ON CONFLICT (hour, endpoint_id, outcome, shard) DO UPDATE SET attempts = delivery_stats_hourly.attempts + excluded.attempts`;
const addLatency = `ON CONFLICT (hour, bucket_ms, shard) DO UPDATE SET attempts = attempt_latency_hourly.attempts + excluded.attempts`;

/**
 * The rollup write per backend, as data. PostgreSQL: both upserts ride, as data-modifying WITH
 * queries, on the attempts INSERT the completion sends anyway, so the transaction gains no round
 * trip (a statement of their own added one to every completion: `pg1_ratio` 0.27 → 0.18–0.21 in
 * back-to-back runs); the rows are those of the connection's shard (`pg_backend_pid() % 16`: two
 * workers completing in the same hour rarely wait for each other's row lock). SQLite has no
 * data-modifying WITH, and a statement there is a function call, not a round trip: two statements
 * at the end; one writer at a time, so shard 0.
 */
export const rollupDialects: Record<BackendName, RollupDialect> = {
  sqlite: {
    withClause: null,
    statements: [
      {
        // `WHERE true` tells SQLite's parser that ON CONFLICT belongs to the INSERT, not a join.
        sql: `INSERT INTO delivery_stats_hourly (hour, endpoint_id, outcome, shard, attempts)
        SELECT value ->> 0, value ->> 1, value ->> 2, 0, value ->> 3 FROM json_each(?) WHERE true ${addOutcomes}`,
        binds: ['outcomes'],
      },
      {
        sql: `INSERT INTO attempt_latency_hourly (hour, bucket_ms, shard, attempts)
        SELECT value ->> 0, value ->> 1, 0, value ->> 2 FROM json_each(?) WHERE true ${addLatency}`,
        binds: ['latency'],
      },
    ],
  },
  postgres: {
    withClause: {
      sql: `WITH outcomes AS (
          INSERT INTO delivery_stats_hourly (hour, endpoint_id, outcome, shard, attempts)
          SELECT (r.v ->> 0)::bigint, (r.v ->> 1)::integer, r.v ->> 2, pg_backend_pid() % 16, (r.v ->> 3)::bigint
          FROM json_array_elements(?::json) AS r(v) ${addOutcomes}),
        latency AS (
          INSERT INTO attempt_latency_hourly (hour, bucket_ms, shard, attempts)
          SELECT (r.v ->> 0)::bigint, (r.v ->> 1)::bigint, pg_backend_pid() % 16, (r.v ->> 2)::bigint
          FROM json_array_elements(?::json) AS r(v) ${addLatency})
        `,
      binds: ['outcomes', 'latency'],
    },
    statements: [],
  },
};

/** One batch's rollup rows as the JSON parameters the statements bind. */
export type RollupParams = Record<keyof RollupRows, string>;

/** The JSON parameters of `rows`. */
export function rollupParams(rows: RollupRows): RollupParams {
  return { outcomes: JSON.stringify(rows.outcomes), latency: JSON.stringify(rows.latency) };
}

/** The values `statement` binds, in placeholder order. */
export function rollupBinds(statement: RollupStatement, params: RollupParams): SqlValue[] {
  return statement.binds.map((name) => params[name]);
}

/** Runs a dialect's statements of their own (nothing on a backend that has none). */
export async function addToRollups(
  tx: SqlSession,
  dialect: RollupDialect,
  params: RollupParams,
): Promise<void> {
  for (const statement of dialect.statements) await tx.run(statement.sql, rollupBinds(statement, params));
}
