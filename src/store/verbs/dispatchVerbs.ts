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
import { placeholders, rowPlaceholders, sqlShapes, type SqlExecutor, type SqlValue } from '../sqlExecutor.js';
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

/**
 * `count` new `webhook-id`s: `msg_` + 128 random bits each, base64url (printable, no spaces or
 * commas). One call to the random source for the whole fan-out batch.
 */
export function newWebhookIds(count: number): string[] {
  const bytes = randomBytes(16 * count);
  return Array.from({ length: count }, (_, i) => `msg_${bytes.toString('base64url', 16 * i, 16 * i + 16)}`);
}

/**
 * Creates deliveries, `rows` at a time. DO NOTHING: a delivery that exists already (a repeated
 * fan-out) keeps its webhook-id (and is not returned, so not leased by a fan-out with a claim:
 * `claimDeliveries` finds it when it is due).
 */
const insertDeliveriesSql = sqlShapes(
  (rows: number) => `INSERT INTO deliveries
     (event_id, endpoint_id, event_type, webhook_id, status, next_attempt_at, lease_owner,
      lease_expires_at, created_at, updated_at)
   VALUES ${rowPlaceholders(rows, 10)}
   ON CONFLICT (event_id, endpoint_id) DO NOTHING`,
);
const insertDeliveriesReturningSql = sqlShapes(
  (rows: number) => `${insertDeliveriesSql(rows)} RETURNING id, event_id`,
);
const markDispatchedSql = sqlShapes(
  (ids: number) => `UPDATE outbox SET dispatched_at = ? WHERE id IN ${placeholders(ids)}`,
);

/** The dispatch verbs on one executor. */
export function createDispatchVerbs(executor: SqlExecutor): DispatchVerbs {
  const { skipLockedSuffix } = executor.capabilities;
  // Rotates which endpoint is served first, so that endpoints take turns when `limit` is short.
  let turn = 0;

  return {
    fanOutPending(at, limit, claim) {
      const leasing = claim !== undefined && claim.limit > 0;
      const maxEvents = Math.max(1, limit);
      return executor.transaction(async (tx) => {
        let endpoints: Map<string, EndpointRow> | undefined;
        /** Leases left: in total, and per endpoint id (filled in as endpoints come up). */
        let leaseRoom = leasing ? claim.limit : 0;
        const endpointRoom = new Map<number, number>();
        const perEndpoint = claim?.perEndpointLimit ?? leaseRoom;
        const rows: SqlValue[][] = [];
        /** Per leased event id: its body and endpoint (to build the claimed delivery). */
        const leased = new Map<
          number,
          { type: string; body: string; endpoint: EndpointRow; webhookId: string }
        >();
        const eventIds: number[] = [];
        let afterId: number | undefined;
        // Pages of the outbox, oldest first. Without a claim one page of `limit` events; with one,
        // pages sized by the leases left, until they are used up (later events wait in the outbox),
        // the outbox is empty or `limit` events were taken.
        for (;;) {
          const want = leasing ? Math.min(maxEvents - eventIds.length, Math.max(leaseRoom, 16)) : maxEvents;
          const page = await tx.all<{ id: number; type: string; body?: string }>(
            `SELECT id, type${leasing ? ', body' : ''} FROM outbox
             WHERE dispatched_at IS NULL${afterId === undefined ? '' : ' AND id > ?'}
             ORDER BY id LIMIT ?${skipLockedSuffix}`,
            afterId === undefined ? [want] : [afterId, want],
          );
          if (page.length === 0) break;
          endpoints ??= new Map(
            (
              await tx.all<EndpointRow & { slot: string }>(
                `SELECT slot, ${endpointColumns} FROM endpoints WHERE removed_at IS NULL`,
              )
            ).map((row) => [row.slot, row]),
          );
          const webhookIds = newWebhookIds(page.length);
          let taken = 0;
          for (const [index, event] of page.entries()) {
            if (leasing && leaseRoom === 0) break;
            taken += 1;
            const eventId = Number(event.id);
            eventIds.push(eventId);
            // Per-event wins over common.
            const endpoint = endpoints.get(event.type) ?? endpoints.get(commonSlot);
            if (!endpoint) continue;
            const endpointId = Number(endpoint.id);
            const webhookId = webhookIds[index] as string;
            const enabled = endpoint.disabled_at === null;
            const room =
              endpointRoom.get(endpointId) ?? perEndpoint - (claim?.inFlight?.get(endpointId) ?? 0);
            const lease = leasing && enabled && room > 0;
            if (lease) {
              leaseRoom -= 1;
              endpointRoom.set(endpointId, room - 1);
              leased.set(eventId, { type: event.type, body: event.body ?? '', endpoint, webhookId });
            }
            rows.push([
              eventId,
              endpointId,
              event.type,
              webhookId,
              enabled ? 'pending' : 'disabled',
              enabled ? at : null,
              lease ? (claim?.owner ?? null) : null,
              lease ? at + (claim?.leaseMs ?? 0) : null,
              at,
              at,
            ]);
          }
          if (!leasing || leaseRoom === 0 || taken < page.length || page.length < want) break;
          if (eventIds.length >= maxEvents) break;
          afterId = Number(page[page.length - 1]?.id);
        }
        if (eventIds.length === 0)
          return leasing ? { events: 0, deliveries: 0, claimed: [] } : { events: 0, deliveries: 0 };

        let deliveries = 0;
        const created: { id: number; event_id: number }[] = [];
        for (const chunk of fixedChunks(rows)) {
          if (leasing) {
            const inserted = await tx.all<{ id: number; event_id: number }>(
              insertDeliveriesReturningSql(chunk.length),
              chunk.flat(),
            );
            deliveries += inserted.length;
            created.push(...inserted);
          } else {
            deliveries += await tx.run(insertDeliveriesSql(chunk.length), chunk.flat());
          }
        }
        for (const ids of chunks(eventIds, idChunk).map(paddedIds)) {
          await tx.run(markDispatchedSql(ids.length), [at, ...ids]);
        }
        if (!leasing) return { events: eventIds.length, deliveries };

        const parsed = new Map<number, ReturnType<typeof endpointFromRow>>();
        const claimed: ClaimedDelivery[] = [];
        for (const row of created) {
          const eventId = Number(row.event_id);
          const lease = leased.get(eventId);
          if (!lease) continue;
          const endpointId = Number(lease.endpoint.id);
          let endpoint = parsed.get(endpointId);
          if (!endpoint) {
            endpoint = endpointFromRow(lease.endpoint);
            parsed.set(endpointId, endpoint);
          }
          claimed.push({
            id: Number(row.id),
            eventId,
            eventType: lease.type,
            endpointId,
            webhookId: lease.webhookId,
            status: 'delivering',
            attempts: 0,
            nextAttemptAt: at,
            leaseOwner: claim.owner,
            leaseExpiresAt: at + claim.leaseMs,
            lastStatus: null,
            lastError: null,
            createdAt: at,
            updatedAt: at,
            body: lease.body,
            url: endpoint.url,
            secrets: endpoint.secrets,
            endpointFirstFailureAt: endpoint.firstFailureAt,
          });
        }
        claimed.sort((a, b) => a.id - b.id);
        return { events: eventIds.length, deliveries, claimed };
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
           WHERE ${executor.capabilities.noIndexPrefix}status = 'pending' AND lease_owner = ?
             AND id IN ${placeholders(chunk.length)}`,
          [at, at, owner, ...chunk],
        );
      }
      return released;
    },
  };
}
