/**
 * @module The dispatcher's verbs: fan outbox events out to deliveries, claim due deliveries under a
 * lease, record attempts (fenced by the lease), give leases back.
 *
 * Concurrency, per backend:
 * - PostgreSQL: any number of workers. Fan-out and claims read their rows with
 *   `FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint rows without waiting for each
 *   other; a row another worker just committed is re-checked by PostgreSQL before it is locked, so
 *   an event dispatched (or a delivery claimed) a moment ago is not taken twice.
 * - SQLite: `BEGIN IMMEDIATE` serialises the transactions, so each sees the previous one's work.
 * A lease is `(lease_owner, lease_expires_at)` on a row that stays `pending` (see migration 2); a
 * delivery is claimable when it is due and its lease is absent or expired, so a dead worker's
 * deliveries come back by themselves.
 */
import { randomBytes } from 'node:crypto';
import { placeholders, type SqlExecutor, type SqlValue } from '../sqlExecutor.js';
import type { ClaimedDelivery, WebhooksStore } from '../types.js';
import {
  chunks,
  createCompleteAttemptsVerb,
  fixedChunks,
  idChunk,
  paddedIds,
} from './completeAttemptsVerb.js';
import {
  commonSlot,
  deliveryColumns,
  deliveryFromRow,
  endpointColumns,
  endpointFromRow,
  type DeliveryRow,
  type EndpointRow,
} from './webhookRows.js';

/** The dispatch verbs of `WebhooksStore`. */
export type DispatchVerbs = Pick<
  WebhooksStore,
  'fanOutPending' | 'claimDeliveries' | 'completeAttempts' | 'releaseDeliveries'
>;

/** A new `webhook-id`: `msg_` + 128 random bits, base64url (printable, no spaces or commas). */
export function newWebhookId(): string {
  return `msg_${randomBytes(16).toString('base64url')}`;
}

/** The dispatch verbs on one executor. */
export function createDispatchVerbs(executor: SqlExecutor): DispatchVerbs {
  const { skipLockedSuffix } = executor.capabilities;
  // Rotates which endpoint is served first, so that endpoints take turns when `limit` is short.
  let turn = 0;

  return {
    fanOutPending(at, limit) {
      return executor.transaction(async (tx) => {
        const events = await tx.all<{ id: number; type: string }>(
          `SELECT id, type FROM outbox WHERE dispatched_at IS NULL ORDER BY id LIMIT ?${skipLockedSuffix}`,
          [Math.max(1, limit)],
        );
        if (events.length === 0) return { events: 0, deliveries: 0 };
        const endpoints = await tx.all<{ id: number; slot: string; disabled_at: number | null }>(
          'SELECT id, slot, disabled_at FROM endpoints WHERE removed_at IS NULL',
        );
        const bySlot = new Map(endpoints.map((row) => [row.slot, row]));
        const rows: SqlValue[][] = [];
        for (const event of events) {
          // Per-event wins over common.
          const endpoint = bySlot.get(event.type) ?? bySlot.get(commonSlot);
          if (!endpoint) continue;
          const enabled = endpoint.disabled_at === null;
          rows.push([
            Number(event.id),
            Number(endpoint.id),
            event.type,
            newWebhookId(),
            enabled ? 'pending' : 'disabled',
            enabled ? at : null,
            at,
            at,
          ]);
        }
        let deliveries = 0;
        for (const chunk of fixedChunks(rows)) {
          // DO NOTHING: a delivery that exists already (a repeated fan-out) keeps its webhook-id.
          deliveries += await tx.run(
            `INSERT INTO deliveries
               (event_id, endpoint_id, event_type, webhook_id, status, next_attempt_at, created_at, updated_at)
             VALUES ${chunk.map(() => placeholders(8)).join(', ')}
             ON CONFLICT (event_id, endpoint_id) DO NOTHING`,
            chunk.flat(),
          );
        }
        for (const ids of chunks(
          events.map((event) => Number(event.id)),
          idChunk,
        ).map(paddedIds)) {
          await tx.run(`UPDATE outbox SET dispatched_at = ? WHERE id IN ${placeholders(ids.length)}`, [
            at,
            ...ids,
          ]);
        }
        return { events: events.length, deliveries };
      });
    },

    claimDeliveries(input) {
      const { owner, now, leaseMs, limit } = input;
      const perEndpoint = input.perEndpointLimit ?? limit;
      const leaseUntil = now + leaseMs;
      return executor.transaction(async (tx) => {
        const endpointRows = await tx.all<EndpointRow>(
          `SELECT ${endpointColumns} FROM endpoints WHERE removed_at IS NULL AND disabled_at IS NULL ORDER BY id`,
        );
        const room = new Map<number, number>();
        for (const row of endpointRows) {
          const free = perEndpoint - (input.inFlight?.get(Number(row.id)) ?? 0);
          if (free > 0) room.set(Number(row.id), free);
        }
        let active = [...room.keys()];
        if (active.length > 0) {
          const first = turn++ % active.length;
          active = [...active.slice(first), ...active.slice(0, first)];
        }
        const claimed: DeliveryRow[] = [];
        let remaining = limit;
        // Fair shares: each round offers every endpoint with due work an equal part of what is
        // left; an endpoint that takes less than offered has nothing more due and drops out.
        while (remaining > 0 && active.length > 0) {
          const share = Math.max(1, Math.ceil(remaining / active.length));
          const next: number[] = [];
          for (const endpointId of active) {
            if (remaining <= 0) break;
            const free = room.get(endpointId) ?? 0;
            const want = Math.min(free, share, remaining);
            const rows = await tx.all<DeliveryRow>(
              `UPDATE deliveries SET lease_owner = ?, lease_expires_at = ?, updated_at = ?
               WHERE id IN (
                 SELECT id FROM deliveries
                 WHERE endpoint_id = ? AND status = 'pending' AND next_attempt_at <= ?
                   AND (lease_expires_at IS NULL OR lease_expires_at <= ?)
                 ORDER BY next_attempt_at, id LIMIT ?${skipLockedSuffix})
               RETURNING ${deliveryColumns()}`,
              [owner, leaseUntil, now, endpointId, now, now, want],
            );
            claimed.push(...rows);
            remaining -= rows.length;
            room.set(endpointId, free - rows.length);
            if (rows.length === want && free - rows.length > 0) next.push(endpointId);
          }
          active = next;
        }
        if (claimed.length === 0) return [];
        const bodies = new Map<number, string>();
        for (const ids of chunks([...new Set(claimed.map((row) => Number(row.event_id)))], idChunk).map(
          paddedIds,
        )) {
          const rows = await tx.all<{ id: number; body: string }>(
            `SELECT id, body FROM outbox WHERE id IN ${placeholders(ids.length)}`,
            ids,
          );
          for (const row of rows) bodies.set(Number(row.id), row.body);
        }
        const endpoints = new Map(endpointRows.map((row) => [Number(row.id), endpointFromRow(row)]));
        return claimed
          .map((row): ClaimedDelivery => {
            const endpoint = endpoints.get(Number(row.endpoint_id));
            return {
              ...deliveryFromRow(row),
              status: 'delivering',
              body: bodies.get(Number(row.event_id)) ?? '',
              url: endpoint?.url ?? '',
              secrets: endpoint?.secrets ?? [],
              endpointFirstFailureAt: endpoint?.firstFailureAt ?? null,
            };
          })
          .sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
      });
    },

    ...createCompleteAttemptsVerb(executor),

    async releaseDeliveries(ids, owner, at) {
      let released = 0;
      for (const chunk of chunks([...new Set(ids)], idChunk).map(paddedIds)) {
        released += await executor.run(
          `UPDATE deliveries SET next_attempt_at = ?, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
           WHERE status = 'pending' AND lease_owner = ? AND id IN ${placeholders(chunk.length)}`,
          [at, at, owner, ...chunk],
        );
      }
      return released;
    },
  };
}
