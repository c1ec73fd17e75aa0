/**
 * @module `completeAttempts`: records a batch of attempts and their outcomes in one transaction,
 * each fenced by its lease, then updates the endpoints' failure runs and disables.
 *
 * On PostgreSQL a batch of plain successes only is one statement (`completeStatement.ts`); other
 * batches are this transaction. In it the common case — a plain success — is written in groups
 * (one UPDATE per lease and status code, ids in a padded `IN` list) and the attempt rows in
 * fixed-size multi-row INSERTs: on PostgreSQL
 * every statement is a network round trip, and on SQLite a few reused prepared statements beat
 * one statement per row. Other outcomes (retries, failures, disables) are rarer and go row by row.
 * The batch's counts for the dashboard go into the hourly rollups once per batch: on PostgreSQL in
 * front of the last attempts INSERT (no round trip of their own), on SQLite as two statements at
 * the end (see `rollupDialects`).
 */
import {
  placeholders,
  rowPlaceholders,
  sqlShapes,
  type SqlExecutor,
  type SqlSession,
  type SqlValue,
} from '../sqlExecutor.js';
import type { CompleteAttemptInput, WebhooksStore } from '../types.js';
import { createCompleteStatement, isPlainSuccess } from './completeStatement.js';
import { parkPendingDeliveries } from './endpointsVerbs.js';
import { addToRollups, rollupBinds, rollupDialects, rollupParams, rollupRows } from './statsRollups.js';

/** Ids per `IN (…)` list (a power of two, see `paddedIds`). */
export const idChunk = 1_024;

/**
 * `ids` padded (repeating the last one) to the next power of two, at least 8: an `IN (…)` list of
 * that length. Both backends cache prepared statements by SQL text, so a list of every possible
 * length would prepare a new statement almost every call; this way a few sizes are prepared once.
 */
export function paddedIds(ids: readonly number[]): number[] {
  let size = 8;
  while (size < ids.length) size *= 2;
  const last = ids[ids.length - 1];
  return last === undefined ? [] : [...ids, ...new Array<number>(size - ids.length).fill(last)];
}

/** Splits `items` into arrays of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/** Splits `items` into chunks of 64, 16, 4 or 1 (greedy): multi-row INSERTs of four shapes only. */
export function fixedChunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  let start = 0;
  for (const size of [64, 16, 4, 1]) {
    while (items.length - start >= size) {
      out.push(items.slice(start, start + size));
      start += size;
    }
  }
  return out;
}

/** Attempt results of one endpoint within a batch, for its failure run and disabling. */
interface EndpointTally {
  lastSuccessAt: number | undefined;
  /** First failure after the last success in this batch (or the first failure when none succeeded). */
  failingSince: number | undefined;
  /** Failed attempts since `failingSince` in this batch (the endpoint's failure streak grows by them). */
  failures: number;
  disable: string | undefined;
  at: number;
}

/** Applies one batch's failure runs and disables, endpoint rows in id order (lock order). */
async function settleEndpoints(tx: SqlSession, tallies: Map<number, EndpointTally>): Promise<void> {
  for (const [endpointId, tally] of [...tallies].sort((a, b) => a[0] - b[0])) {
    if (tally.lastSuccessAt !== undefined) {
      // A success ends the failure run; failures after it in this batch start a new one. The
      // DISTINCT FROM keeps the usual case (no run open) from writing, or locking, the row.
      await tx.run(
        `UPDATE endpoints SET first_failure_at = ?, failure_streak = ?
         WHERE id = ? AND (first_failure_at IS DISTINCT FROM ? OR failure_streak <> ?)`,
        [tally.failingSince ?? null, tally.failures, endpointId, tally.failingSince ?? null, tally.failures],
      );
    } else if (tally.failingSince !== undefined) {
      await tx.run(
        `UPDATE endpoints SET first_failure_at = COALESCE(first_failure_at, ?),
           failure_streak = failure_streak + ? WHERE id = ?`,
        [tally.failingSince, tally.failures, endpointId],
      );
    }
    if (tally.disable !== undefined) {
      const changed = await tx.run(
        `UPDATE endpoints SET disabled_at = ?, disabled_reason = ?, updated_at = ? WHERE id = ? AND disabled_at IS NULL`,
        [tally.at, tally.disable, tally.at, endpointId],
      );
      if (changed > 0) await parkPendingDeliveries(tx, endpointId, tally.at);
    }
  }
}

/** The `completeAttempts` verb on one executor. */
export function createCompleteAttemptsVerb(executor: SqlExecutor): Pick<WebhooksStore, 'completeAttempts'> {
  // The row ids select; the status index must not (see `noIndexPrefix`).
  const status = `${executor.capabilities.noIndexPrefix}status`;
  const rollups = rollupDialects[executor.capabilities.name];
  const succeededSql = sqlShapes(
    (
      ids: number,
    ) => `UPDATE deliveries SET status = 'succeeded', attempts = attempts + 1, next_attempt_at = NULL,
       lease_owner = NULL, lease_expires_at = NULL, last_status = ?, last_error = NULL, updated_at = ?
     WHERE ${status} = 'pending' AND lease_owner = ? AND id IN ${placeholders(ids)}
     RETURNING id, endpoint_id`,
  );
  const insertAttemptsSql = sqlShapes(
    (
      rows: number,
    ) => `INSERT INTO attempts (delivery_id, at, status, duration_ms, error, response_excerpt, worker)
     VALUES ${rowPlaceholders(rows, 7)}`,
  );
  // The last attempts INSERT of a batch, with the rollups' WITH in front (PostgreSQL).
  const insertAttemptsWithRollupsSql = sqlShapes(
    (rows: number) => `${rollups.withClause?.sql ?? ''}${insertAttemptsSql(rows)}`,
  );
  // A batch of plain successes (the common one) as one statement where the backend has them.
  const completeStatement = executor.capabilities.singleStatementDispatch
    ? createCompleteStatement(executor)
    : undefined;
  return {
    completeAttempts(results) {
      if (results.length === 0) return Promise.resolve([]);
      if (completeStatement && results.every(isPlainSuccess)) return completeStatement(results);
      return executor.transaction(async (tx) => {
        const applied = new Array<boolean>(results.length).fill(false);
        const endpointOf = new Map<number, number>();

        // Fencing, in every UPDATE below: only the lease holder may record. A worker whose lease
        // expired and was taken over finds no row and its late result is dropped.
        const groups = new Map<string, number[]>();
        results.forEach((result, index) => {
          if (!isPlainSuccess(result)) return;
          const key = `${result.owner}\u0000${result.attempt.status ?? ''}`;
          const group = groups.get(key);
          if (group) group.push(index);
          else groups.set(key, [index]);
        });
        for (const indexes of groups.values()) {
          const first = results[indexes[0] as number] as CompleteAttemptInput;
          let at = first.at;
          for (const index of indexes) at = Math.max(at, (results[index] as CompleteAttemptInput).at);
          const byDelivery = new Map(
            indexes.map((index) => [(results[index] as CompleteAttemptInput).deliveryId, index]),
          );
          for (const ids of chunks([...byDelivery.keys()], idChunk).map(paddedIds)) {
            const rows = await tx.all<{ id: number; endpoint_id: number }>(succeededSql(ids.length), [
              first.attempt.status,
              at,
              first.owner,
              ...ids,
            ]);
            for (const row of rows) {
              const index = byDelivery.get(Number(row.id));
              if (index === undefined) continue;
              applied[index] = true;
              endpointOf.set(index, Number(row.endpoint_id));
            }
          }
        }
        const retried: number[] = [];
        for (const [index, result] of results.entries()) {
          if (isPlainSuccess(result)) continue;
          const next = result.outcome === 'pending' ? (result.nextAttemptAt ?? result.at) : null;
          const rows = await tx.all<{ endpoint_id: number }>(
            `UPDATE deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, lease_owner = NULL,
               lease_expires_at = NULL, last_status = ?, last_error = ?, updated_at = ?
             WHERE id = ? AND ${status} = 'pending' AND lease_owner = ?
             RETURNING endpoint_id`,
            [
              result.outcome,
              next,
              result.attempt.status,
              result.attempt.error,
              result.at,
              result.deliveryId,
              result.owner,
            ],
          );
          if (!rows[0]) continue;
          applied[index] = true;
          endpointOf.set(index, Number(rows[0].endpoint_id));
          if (result.outcome === 'pending') retried.push(result.deliveryId);
        }

        const done = results.flatMap((result, index) => (applied[index] ? [{ result, index }] : []));
        const rollupValues = rollupParams(
          rollupRows(
            done.map(({ result, index }) => ({ result, endpointId: endpointOf.get(index) as number })),
          ),
        );
        const attemptChunks = fixedChunks(done);
        for (const [n, chunk] of attemptChunks.entries()) {
          const values: SqlValue[] = chunk.flatMap(({ result }) => [
            result.deliveryId,
            result.attempt.at,
            result.attempt.status,
            Math.round(result.attempt.durationMs),
            result.attempt.error,
            result.attempt.responseExcerpt,
            result.owner,
          ]);
          if (rollups.withClause && n === attemptChunks.length - 1) {
            await tx.run(insertAttemptsWithRollupsSql(chunk.length), [
              ...rollupBinds(rollups.withClause, rollupValues),
              ...values,
            ]);
          } else {
            await tx.run(insertAttemptsSql(chunk.length), values);
          }
        }

        // Endpoint failure runs are decided in attempt order.
        const tallies = new Map<number, EndpointTally>();
        for (const { result, index } of [...done].sort((a, b) => a.result.attempt.at - b.result.attempt.at)) {
          const endpointId = endpointOf.get(index) as number;
          const tally = tallies.get(endpointId) ?? {
            lastSuccessAt: undefined,
            failingSince: undefined,
            failures: 0,
            disable: undefined,
            at: result.at,
          };
          if (result.outcome === 'succeeded') {
            tally.lastSuccessAt = result.attempt.at;
            tally.failingSince = undefined;
            tally.failures = 0;
          } else {
            tally.failingSince ??= result.attempt.at;
            tally.failures += 1;
          }
          if (result.disableEndpoint !== undefined) tally.disable = result.disableEndpoint;
          tally.at = Math.max(tally.at, result.at);
          tallies.set(endpointId, tally);
        }
        await settleEndpoints(tx, tallies);
        // A retry of an endpoint disabled or removed meanwhile waits as `disabled` (replayable).
        for (const ids of chunks(retried, idChunk).map(paddedIds)) {
          await tx.run(
            `UPDATE deliveries SET status = 'disabled', next_attempt_at = NULL
             WHERE ${status} = 'pending' AND id IN ${placeholders(ids.length)}
               AND endpoint_id IN (SELECT id FROM endpoints WHERE disabled_at IS NOT NULL OR removed_at IS NOT NULL)`,
            ids,
          );
        }
        if (done.length > 0) await addToRollups(tx, rollups, rollupValues);
        return applied;
      });
    },
  };
}
