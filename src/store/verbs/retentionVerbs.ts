/**
 * @module Retention verbs: prune old history in one short transaction per call, and give the
 * freed pages back to the file system.
 *
 * Cost per call is independent of how much history is stored: the cut-off event is one step down
 * the `outbox_created` index; final deliveries come off the `(status, event_id)` index in event
 * order; events are examined in a window of ids after a cursor (primary key range), each checked
 * for remaining deliveries through the `(event_id, endpoint_id)` unique index.
 */
import { placeholders, type SqlExecutor, type SqlSession } from '../sqlExecutor.js';
import type { PruneHistoryResult, RetentionStore } from '../retentionTypes.js';
import type { BackendName } from '../types.js';
import { chunks, idChunk, paddedIds } from './completeAttemptsVerb.js';
import { hourMs } from './statsRollups.js';

/** Namespace of unsub's advisory locks (as in the PostgreSQL executor): "uns". */
const advisoryNamespace = 0x756e73;

/** What differs per backend, as data. */
interface RetentionDialect {
  /**
   * Tried first in each pruning transaction; answers `ok` false when another process prunes.
   * PostgreSQL: a transaction-scoped advisory lock (released by COMMIT even if the process dies),
   * per schema so that tests and tenants in one database do not exclude each other. SQLite needs
   * none: BEGIN IMMEDIATE already makes writers take turns.
   */
  pruneLock: string | null;
  /** Frees up to N pages (SQLite's incremental vacuum); null where autovacuum does it (PostgreSQL). */
  reclaim: ((pages: number) => string) | null;
}

export const retentionDialects: Record<BackendName, RetentionDialect> = {
  sqlite: {
    pruneLock: null,
    reclaim: (pages) => `PRAGMA incremental_vacuum(${Math.max(1, Math.floor(pages))})`,
  },
  postgres: {
    pruneLock: `SELECT pg_try_advisory_xact_lock(${advisoryNamespace}, hashtext('prune:' || current_schema())) AS ok`,
    reclaim: null,
  },
};

/** Final statuses, in the order their deliveries are pruned. */
const finalStatuses = ['succeeded', 'failed', 'disabled'] as const;

/** Deletes the attempts, then the deliveries `ids` (only while still final); returns the counts. */
export async function deleteDeliveries(
  tx: SqlSession,
  ids: readonly number[],
  options: { onlyFinal: boolean },
): Promise<{ deliveries: number; attempts: number }> {
  let deliveries = 0;
  let attempts = 0;
  for (const chunk of chunks(ids, idChunk).map(paddedIds)) {
    attempts += await tx.run(
      `DELETE FROM attempts WHERE delivery_id IN ${placeholders(chunk.length)}`,
      chunk,
    );
    // A succeeded delivery's attempt may live in its row (migration 12): it goes with the row.
    const removed = await tx.all<{ in_row: number | boolean }>(
      `DELETE FROM deliveries WHERE id IN ${placeholders(chunk.length)}${
        options.onlyFinal ? " AND status IN ('succeeded', 'failed', 'disabled')" : ''
      } RETURNING success_attempt_id IS NOT NULL AS in_row`,
      chunk,
    );
    deliveries += removed.length;
    attempts += removed.filter((row) => Boolean(row.in_row)).length;
  }
  return { deliveries, attempts };
}

/** The retention verbs on one executor. */
export function createRetentionVerbs(executor: SqlExecutor): RetentionStore {
  const dialect = retentionDialects[executor.capabilities.name];
  const { skipLockedSuffix } = executor.capabilities;

  return {
    pruneHistory(input) {
      const limit = Math.max(1, Math.floor(input.limit));
      return executor.transaction(async (tx): Promise<PruneHistoryResult> => {
        const none = { events: 0, deliveries: 0, attempts: 0, nextAfterEventId: null };
        if (dialect.pruneLock) {
          const [lock] = await tx.all<{ ok: boolean | number }>(dialect.pruneLock);
          if (!lock?.ok) return { ...none, locked: false };
        }
        // The newest event older than the cut-off: one step down the index.
        const [cut] = await tx.all<{ id: number }>(
          'SELECT id FROM outbox WHERE created_at < ? ORDER BY created_at DESC, id DESC LIMIT 1',
          [input.before],
        );
        if (!cut) return { ...none, locked: true };
        const cutId = Number(cut.id);

        // Final deliveries of old events, oldest event first. Rows a worker has locked right now
        // (PostgreSQL: a retry making one pending again) are skipped, and the DELETE re-checks the
        // status, so a delivery that is pending at commit time is never removed.
        const doomed: number[] = [];
        // The events those deliveries belong to: once their last delivery is gone they go too, in
        // this same call (the id window below may already have passed them in this pass).
        const touched = new Set<number>();
        for (const status of finalStatuses) {
          if (doomed.length >= limit) break;
          const rows = await tx.all<{ id: number; event_id: number }>(
            `SELECT d.id, d.event_id FROM deliveries d WHERE d.status = ? AND d.event_id <= ?
               AND d.event_id IN (SELECT o.id FROM outbox o WHERE o.id = d.event_id AND o.created_at < ?)
             ORDER BY d.event_id LIMIT ?${skipLockedSuffix}`,
            [status, cutId, input.before, limit - doomed.length],
          );
          doomed.push(...rows.map((row) => Number(row.id)));
          for (const row of rows) touched.add(Number(row.event_id));
        }
        const removed = await deleteDeliveries(tx, doomed, { onlyFinal: true });

        // Events of this window with no delivery left (all were final and are gone, or there never
        // was an endpoint). Undispatched events are never touched: their deliveries do not exist yet.
        const [first] = await tx.all<{ id: number | null }>('SELECT MIN(id) AS id FROM outbox');
        const from = Math.max(input.afterEventId ?? 0, Number(first?.id ?? 1) - 1);
        const to = Math.min(from + limit, cutId);
        const events = await tx.all<{ id: number }>(
          `SELECT o.id FROM outbox o
           WHERE o.id > ? AND o.id <= ? AND o.dispatched_at IS NOT NULL AND o.created_at < ?
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = o.id)
           ORDER BY o.id${skipLockedSuffix}`,
          [from, to, input.before],
        );
        let deletedEvents = 0;
        const candidates = new Set([...events.map((row) => Number(row.id)), ...touched]);
        for (const chunk of chunks([...candidates], idChunk).map(paddedIds)) {
          deletedEvents += await tx.run(
            `DELETE FROM outbox WHERE id IN ${placeholders(chunk.length)}
               AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = outbox.id)`,
            chunk,
          );
        }
        return {
          events: deletedEvents,
          deliveries: removed.deliveries,
          attempts: removed.attempts,
          nextAfterEventId: to >= cutId ? null : to,
          locked: true,
        };
      });
    },

    pruneStats({ before }) {
      // Both rollups are keyed by hour first: each DELETE is one range of its primary key. An
      // hour goes only when it ended before the cut-off.
      const hour = Math.floor(before / hourMs);
      return executor.transaction(
        async (tx) =>
          (await tx.run('DELETE FROM delivery_stats_hourly WHERE hour < ?', [hour])) +
          (await tx.run('DELETE FROM attempt_latency_hourly WHERE hour < ?', [hour])),
      );
    },

    pruneAudit({ before, limit }) {
      // The log's ids follow its time (one clock per row, at insert), so its old rows are the head
      // of the primary key: read up to `limit` from the start, delete the prefix older than the
      // cut-off. One index range either way, however long the log; a row a skewed clock stamped
      // out of order waits for the rows before it.
      return executor.transaction(async (tx) => {
        const head = await tx.all<{ id: number | string; at: number | string }>(
          'SELECT id, at FROM audit_log ORDER BY id LIMIT ?',
          [Math.max(1, Math.floor(limit))],
        );
        let last: number | undefined;
        for (const row of head) {
          if (Number(row.at) >= before) break;
          last = Number(row.id);
        }
        if (last === undefined) return 0;
        return tx.run('DELETE FROM audit_log WHERE id <= ? AND at < ?', [last, before]);
      });
    },

    async reclaimSpace(maxPages) {
      if (!dialect.reclaim || maxPages <= 0) return 0;
      const sql = dialect.reclaim(maxPages);
      const free = async () =>
        Number(
          (await executor.all<{ freelist_count: number }>('PRAGMA freelist_count'))[0]?.freelist_count ?? 0,
        );
      const before = await free();
      if (before === 0) return 0;
      await executor.run(sql);
      return Math.max(0, before - (await free()));
    },

    async databaseMaintenance() {
      if (executor.capabilities.name !== 'postgres') return { autovacuum: null };
      // A table's own reloption (autovacuum_enabled=false) turns it off for that table alone.
      const [row] = await executor.all<{ on: boolean }>(
        `SELECT current_setting('autovacuum') = 'on' AND current_setting('track_counts') = 'on'
           AND NOT EXISTS (SELECT 1 FROM pg_class
             WHERE oid IN (to_regclass('outbox'), to_regclass('deliveries'))
               AND 'autovacuum_enabled=false' = ANY(COALESCE(reloptions, '{}'))) AS on`,
      );
      return { autovacuum: Boolean(row?.on) };
    },
  };
}
