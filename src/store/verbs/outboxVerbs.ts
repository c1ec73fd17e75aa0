/**
 * @module Outbox verbs: append events that have no state change of their own, list pending ones,
 * mark them dispatched (the webhook dispatcher's fan-out uses these).
 */
import { placeholders, type SqlExecutor } from '../sqlExecutor.js';
import type { OutboxStore } from '../types.js';
import { outboxColumns, outboxFromRow, type OutboxRow } from './rows.js';
import { appendOutbox, distinct } from './transactionSteps.js';

/** Largest page of `listOutbox`. */
const maxPage = 1_000;

/** The outbox verbs on one executor. */
export function createOutboxVerbs(executor: SqlExecutor): OutboxStore {
  return {
    appendEvents(events, at) {
      const keys = distinct(
        events.flatMap((event) => (event.orderingKey == null ? [] : [event.orderingKey])),
      );
      return executor.transaction(async (tx) => {
        // Per key, id order must be commit order (see `appendOutbox`): lock the keyed contacts, in
        // id order (no deadlock between two such calls). A key with no contact row locks nothing.
        // (On SQLite the suffix is empty: the transaction itself is the lock.)
        const sorted = [...keys].sort((a, b) => a - b);
        for (let from = 0; from < sorted.length; from += maxPage) {
          const chunk = sorted.slice(from, from + maxPage);
          await tx.all(
            `SELECT id FROM contacts WHERE id IN ${placeholders(chunk.length)} ORDER BY id${executor.capabilities.lockRowsSuffix}`,
            chunk,
          );
        }
        return appendOutbox(tx, events, at);
      });
    },

    async listOutbox(options = {}) {
      const limit = Math.min(Math.max(1, options.limit ?? 100), maxPage);
      const rows = await executor.all<OutboxRow>(
        `SELECT ${outboxColumns} FROM outbox WHERE id > ?${options.pending ? ' AND dispatched_at IS NULL' : ''}
         ORDER BY id LIMIT ?`,
        [options.afterId ?? 0, limit],
      );
      return rows.map(outboxFromRow);
    },

    async markDispatched(ids, at) {
      const wanted = distinct(ids);
      if (wanted.length === 0) return 0;
      return executor.run(
        `UPDATE outbox SET dispatched_at = ? WHERE dispatched_at IS NULL AND id IN ${placeholders(wanted.length)}`,
        [at, ...wanted],
      );
    },
  };
}
