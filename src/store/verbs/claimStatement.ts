/**
 * @module `claimDeliveries` as one statement (PostgreSQL): the endpoints' room, the due deliveries
 * of each (locked with SKIP LOCKED, in claim order through `deliveries_claim`), fair shares, the
 * lease, and the event bodies and endpoint URLs in a single round trip with no BEGIN/COMMIT. The
 * transaction of `dispatchVerbs.ts` took a SELECT of the endpoints, one UPDATE per endpoint and
 * fair-share round, one SELECT of bodies per chunk, and BEGIN/COMMIT: five round trips and up.
 *
 * Fair shares: each endpoint's due rows are ranked in claim order and the batch takes every
 * endpoint's first, then every endpoint's second, and so on, up to `limit` — the shares of the
 * transaction's rounds (an endpoint with less due drops out and leaves its part to the others),
 * with the endpoint served first rotating from call to call. Each endpoint locks at most its room
 * (and `limit`) rows; those a fair share leaves out are unlocked when the statement ends.
 * The ordering rule is `orderedClaimable`, checked in the statement that leases (one snapshot).
 * The lease commits without waiting for the WAL flush (`commitWithoutFlush`: a lease lost in a
 * crash of the server is one that never was).
 */
import type { SqlExecutor, SqlValue } from '../sqlExecutor.js';
import type { ClaimDeliveriesInput, ClaimedDelivery } from '../types.js';
import { commitWithoutFlush } from './commitWithoutFlush.js';
import { arrayLiteral, namedStatement } from './namedParameters.js';
import { orderedClaimable } from './orderedClaimable.js';
import { deliveryColumns, deliveryFromRow, type DeliveryRow } from './webhookRows.js';

const claim = namedStatement(`WITH room AS (
  SELECT e.id, $perEndpoint::int - COALESCE(f.held, 0) AS free,
    (row_number() OVER (ORDER BY e.id) + $turn::int) % count(*) OVER () AS turn
  FROM endpoints e
  LEFT JOIN unnest($heldIds::bigint[], $heldCounts::int[]) AS f(endpoint_id, held)
    ON f.endpoint_id = e.id
  WHERE e.removed_at IS NULL AND e.disabled_at IS NULL
), due AS (
  SELECT d.id, r.turn, row_number() OVER (PARTITION BY d.endpoint_id ORDER BY d.next_attempt_at, d.id) AS share
  FROM room r CROSS JOIN LATERAL (
    SELECT d.id, d.endpoint_id, d.next_attempt_at FROM deliveries d
    WHERE d.endpoint_id = r.id AND d.status = 'pending' AND d.next_attempt_at <= $now::bigint
      AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= $now::bigint)
      AND ${orderedClaimable}
    ORDER BY d.next_attempt_at, d.id
    LIMIT LEAST(r.free, $limit::int) FOR UPDATE SKIP LOCKED) d
  WHERE r.free > 0
), chosen AS (
  SELECT id FROM due ORDER BY share, turn LIMIT $limit::int
)
UPDATE deliveries d SET lease_owner = $owner::text,
  lease_expires_at = $leaseUntil::bigint, updated_at = $now::bigint
FROM chosen c, outbox o, endpoints e
WHERE d.id = c.id AND o.id = d.event_id AND e.id = d.endpoint_id AND ${commitWithoutFlush}
RETURNING ${deliveryColumns('d')}, o.body, o.created_at AS event_at, e.url, e.secrets,
  e.first_failure_at AS endpoint_first_failure_at`);

/** A row of the statement's result: the leased delivery with its event body and endpoint. */
type ClaimedRow = DeliveryRow & {
  body: string;
  event_at: number;
  url: string;
  secrets: string;
  endpoint_first_failure_at: number | null;
};

/** `claimDeliveries` in one statement (PostgreSQL); `turn` rotates which endpoint is served first. */
export function createClaimStatement(executor: SqlExecutor) {
  return async function claimDeliveries(
    input: ClaimDeliveriesInput,
    turn: number,
  ): Promise<ClaimedDelivery[]> {
    const held = [...(input.inFlight ?? new Map<number, number>())];
    const values: Record<string, SqlValue> = {
      perEndpoint: input.perEndpointLimit ?? input.limit,
      turn: turn % 1_000_000,
      heldIds: arrayLiteral(held.map(([id]) => id)),
      heldCounts: arrayLiteral(held.map(([, count]) => count)),
      now: input.now,
      limit: input.limit,
      owner: input.owner,
      leaseUntil: input.now + input.leaseMs,
    };
    if (input.limit <= 0) return [];
    const rows = await executor.all<ClaimedRow>(claim.sql, claim.parameters(values));
    /** Secrets are parsed once per endpoint, not per delivery. */
    const secrets = new Map<number, ClaimedDelivery['secrets']>();
    return rows
      .map((row): ClaimedDelivery => {
        const endpointId = Number(row.endpoint_id);
        let parsed = secrets.get(endpointId);
        if (!parsed) {
          parsed = JSON.parse(row.secrets) as ClaimedDelivery['secrets'];
          secrets.set(endpointId, parsed);
        }
        return {
          ...deliveryFromRow(row),
          status: 'delivering',
          body: row.body,
          eventAt: Number(row.event_at),
          url: row.url,
          secrets: parsed,
          endpointFirstFailureAt:
            row.endpoint_first_failure_at === null ? null : Number(row.endpoint_first_failure_at),
        };
      })
      .sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
  };
}
