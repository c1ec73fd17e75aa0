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
 *
 * Ordered delivery (migration 3): a delivery with an ordering key (a contact id) is also held while
 * (a) an earlier outbox event of its key is not dispatched, or (b) an earlier delivery of its key
 * to the same endpoint is `pending`, leased or not. Why this is enough, with any number of workers:
 * - Per key, outbox id order is commit order (writers lock the contact first, see `appendOutbox`),
 *   so a worker that sees a later event also sees every earlier one, dispatched or not.
 * - (a) covers an earlier event another worker is fanning out right now (SKIP LOCKED passed over
 *   its row; a plain read still sees it undispatched until that worker commits, and its commit
 *   makes the event dispatched and its delivery pending at once). In `orderBlocks` the outbox is
 *   read before the deliveries: a commit between the two reads is then seen by the second.
 * - (b) counts a delivery another worker holds (its lease does not matter) until that worker's
 *   result commits; fencing keeps a stale worker from finishing it twice.
 * - Claims check both in the one statement that leases (one snapshot); fan-out applies the same
 *   rule to the deliveries it leases, plus "only the first of an (endpoint, key) in this call".
 * Unkeyed deliveries skip the check (`ordering_key IS NULL OR …`), so they never wait.
 */
import {
  placeholders,
  rowPlaceholders,
  sqlShapes,
  type SqlExecutor,
  type SqlSession,
  type SqlValue,
} from '../sqlExecutor.js';
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
import { createClaimStatement } from './claimStatement.js';
import { createFanOutStatement } from './fanOutStatement.js';
import { orderedClaimable } from './orderedClaimable.js';
import { newWebhookIds } from './newWebhookIds.js';

/** The dispatch verbs of `WebhooksStore`. */
export type DispatchVerbs = Pick<
  WebhooksStore,
  'fanOutPending' | 'claimDeliveries' | 'completeAttempts' | 'releaseDeliveries'
>;

/**
 * Creates deliveries, `rows` at a time. DO NOTHING: a delivery that exists already (a repeated
 * fan-out) keeps its webhook-id (and is not returned, so not leased by a fan-out with a claim:
 * `claimDeliveries` finds it when it is due).
 */
const insertDeliveriesSql = sqlShapes(
  (rows: number) => `INSERT INTO deliveries
     (event_id, endpoint_id, event_type, webhook_id, status, next_attempt_at, lease_owner,
      lease_expires_at, created_at, updated_at, ordering_key)
   VALUES ${rowPlaceholders(rows, 11)}
   ON CONFLICT (event_id, endpoint_id) DO NOTHING`,
);
const insertDeliveriesReturningSql = sqlShapes(
  (rows: number) => `${insertDeliveriesSql(rows)} RETURNING id, event_id`,
);
/**
 * Per ordering key: the first undispatched outbox event (the fan-out's "is an earlier event of
 * this contact not fanned out yet?"). A plain read, no lock: on PostgreSQL it sees rows another
 * worker's fan-out holds (and skipped with SKIP LOCKED here) as undispatched until that worker
 * commits their deliveries with them.
 */
const firstUndispatchedSql = sqlShapes(
  (keys: number) => `SELECT ordering_key, MIN(id) AS first FROM outbox
   WHERE dispatched_at IS NULL AND ordering_key IN ${placeholders(keys)} GROUP BY ordering_key`,
);
/** Per (endpoint, ordering key): the earliest event whose delivery is still pending (leased or not). */
const firstPendingSql = (
  endpoints: number,
  keys: number,
) => `SELECT endpoint_id, ordering_key, MIN(event_id) AS first
   FROM deliveries
   WHERE status = 'pending' AND ordering_key IS NOT NULL AND endpoint_id IN ${placeholders(endpoints)}
     AND ordering_key IN ${placeholders(keys)}
   GROUP BY endpoint_id, ordering_key`;
const markDispatchedSql = sqlShapes(
  (ids: number) => `UPDATE outbox SET dispatched_at = ? WHERE id IN ${placeholders(ids)}`,
);

/**
 * For a fan-out page with a claim: which of its keyed events must not be leased because something
 * earlier of their key is unfinished — an earlier event not fanned out yet (compared with the
 * first event of the key in this call: the call's own events are undispatched until it commits),
 * or an earlier event's delivery to the same endpoint still pending. Two reads, whatever the page
 * size; none when the page has no keyed event (message events pay nothing).
 */
async function orderBlocks(
  tx: SqlSession,
  page: readonly { id: number; type: string; ordering_key: number | null }[],
  endpoints: ReadonlyMap<string, EndpointRow>,
  firstOfKey: Map<number, number>,
): Promise<((endpointId: number, key: number, eventId: number) => boolean) | undefined> {
  const keys = new Set<number>();
  const endpointIds = new Set<number>();
  for (const event of page) {
    if (event.ordering_key === null) continue;
    const key = Number(event.ordering_key);
    keys.add(key);
    if (!firstOfKey.has(key)) firstOfKey.set(key, Number(event.id));
    const endpoint = endpoints.get(event.type) ?? endpoints.get(commonSlot);
    if (endpoint) endpointIds.add(Number(endpoint.id));
  }
  if (keys.size === 0 || endpointIds.size === 0) return undefined;
  const undispatched = new Map<number, number>();
  const pending = new Map<string, number>();
  const endpointList = paddedIds([...endpointIds]);
  for (const chunk of chunks([...keys], idChunk).map(paddedIds)) {
    for (const row of await tx.all<{ ordering_key: number; first: number }>(
      firstUndispatchedSql(chunk.length),
      chunk,
    )) {
      undispatched.set(Number(row.ordering_key), Number(row.first));
    }
    for (const row of await tx.all<{ endpoint_id: number; ordering_key: number; first: number }>(
      firstPendingSql(endpointList.length, chunk.length),
      [...endpointList, ...chunk],
    )) {
      pending.set(`${Number(row.endpoint_id)}:${Number(row.ordering_key)}`, Number(row.first));
    }
  }
  return (endpointId, key, eventId) =>
    (undispatched.get(key) ?? Infinity) < (firstOfKey.get(key) ?? eventId) ||
    (pending.get(`${endpointId}:${key}`) ?? Infinity) < eventId;
}

/** The dispatch verbs on one executor. */
export function createDispatchVerbs(executor: SqlExecutor): DispatchVerbs {
  const { skipLockedSuffix } = executor.capabilities;
  // Rotates which endpoint is served first, so that endpoints take turns when `limit` is short.
  let turn = 0;

  // One statement per page where the backend can (PostgreSQL): see `fanOutStatement.ts`.
  const fanOutStatement = executor.capabilities.singleStatementDispatch
    ? createFanOutStatement(executor)
    : undefined;
  const claimStatement = executor.capabilities.singleStatementDispatch
    ? createClaimStatement(executor)
    : undefined;

  return {
    fanOutPending(at, limit, claim) {
      if (fanOutStatement) return fanOutStatement(at, limit, claim);
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
          {
            type: string;
            body: string;
            eventAt: number;
            key: number | null;
            endpoint: EndpointRow;
            webhookId: string;
          }
        >();
        const eventIds: number[] = [];
        /** Ordering: the first event id of each key in this call, and the (endpoint, key) pairs met. */
        const firstOfKey = new Map<number, number>();
        const pairsSeen = new Set<string>();
        let held = 0;
        let afterId: number | undefined;
        // Pages of the outbox, oldest first. Without a claim one page of `limit` events; with one,
        // pages sized by the leases left, until they are used up (later events wait in the outbox),
        // the outbox is empty or `limit` events were taken.
        for (;;) {
          const want = leasing ? Math.min(maxEvents - eventIds.length, Math.max(leaseRoom, 16)) : maxEvents;
          const page = await tx.all<{
            id: number;
            type: string;
            ordering_key: number | null;
            body?: string;
            created_at?: number;
          }>(
            `SELECT id, type, ordering_key${leasing ? ', body, created_at' : ''} FROM outbox
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
          const blocked = leasing ? await orderBlocks(tx, page, endpoints, firstOfKey) : undefined;
          const webhookIds = newWebhookIds(page.length);
          let taken = 0;
          for (const [index, event] of page.entries()) {
            if (leasing && leaseRoom === 0) break;
            taken += 1;
            const eventId = Number(event.id);
            const key = event.ordering_key === null ? null : Number(event.ordering_key);
            eventIds.push(eventId);
            // Per-event wins over common.
            const endpoint = endpoints.get(event.type) ?? endpoints.get(commonSlot);
            if (!endpoint) continue;
            const endpointId = Number(endpoint.id);
            const webhookId = webhookIds[index] as string;
            const enabled = endpoint.disabled_at === null;
            const room =
              endpointRoom.get(endpointId) ?? perEndpoint - (claim?.inFlight?.get(endpointId) ?? 0);
            // Ordering: of one (endpoint, key), only the first event of this call may be leased,
            // and only when nothing earlier of its key is unfinished (see `orderBlocks`).
            let inOrder = true;
            if (key !== null) {
              const pair = `${endpointId}:${key}`;
              inOrder = !pairsSeen.has(pair) && blocked?.(endpointId, key, eventId) !== true;
              pairsSeen.add(pair);
            }
            const lease = leasing && enabled && room > 0 && inOrder;
            if (leasing && enabled && !inOrder) held += 1;
            if (lease) {
              leaseRoom -= 1;
              endpointRoom.set(endpointId, room - 1);
              leased.set(eventId, {
                type: event.type,
                body: event.body ?? '',
                eventAt: Number(event.created_at ?? at),
                key,
                endpoint,
                webhookId,
              });
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
              key,
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
            orderingKey: lease.key,
            lastStatus: null,
            lastError: null,
            createdAt: at,
            updatedAt: at,
            body: lease.body,
            eventAt: lease.eventAt,
            url: endpoint.url,
            secrets: endpoint.secrets,
            endpointFirstFailureAt: endpoint.firstFailureAt,
          });
        }
        claimed.sort((a, b) => a.id - b.id);
        return { events: eventIds.length, deliveries, claimed, held };
      });
    },

    claimDeliveries(input) {
      if (claimStatement) return claimStatement(input, turn++);
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
                 SELECT d.id FROM deliveries d
                 WHERE d.endpoint_id = ? AND d.status = 'pending' AND d.next_attempt_at <= ?
                   AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= ?)
                   AND ${orderedClaimable}
                 ORDER BY d.next_attempt_at, d.id LIMIT ?${skipLockedSuffix})
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
        const bodies = new Map<number, { body: string; created_at: number }>();
        for (const ids of chunks([...new Set(claimed.map((row) => Number(row.event_id)))], idChunk).map(
          paddedIds,
        )) {
          const rows = await tx.all<{ id: number; body: string; created_at: number }>(
            `SELECT id, body, created_at FROM outbox WHERE id IN ${placeholders(ids.length)}`,
            ids,
          );
          for (const row of rows) bodies.set(Number(row.id), row);
        }
        const endpoints = new Map(endpointRows.map((row) => [Number(row.id), endpointFromRow(row)]));
        return claimed
          .map((row): ClaimedDelivery => {
            const endpoint = endpoints.get(Number(row.endpoint_id));
            const event = bodies.get(Number(row.event_id));
            return {
              ...deliveryFromRow(row),
              status: 'delivering',
              body: event?.body ?? '',
              eventAt: Number(event?.created_at ?? 0),
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
