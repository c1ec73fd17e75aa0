/**
 * @module `fanOutPending` as one statement per outbox page, for backends with data-modifying CTEs
 * (PostgreSQL): the page of the outbox, its endpoints, the ordering rule, the leases, the
 * deliveries and the dispatched mark in a single round trip, with no BEGIN/COMMIT around it (one
 * statement is atomic on its own). The transaction of `dispatchVerbs.ts` took six round trips per
 * page, each one a wait for the server while the worker's sends were in flight.
 *
 * The rules are those of the transaction (see the module comment of `dispatchVerbs.ts`), written as
 * window functions over the page in id order:
 * - routing: the event type's own endpoint wins over the common one; an event with neither is
 *   marked dispatched without a delivery; a disabled endpoint gets a `disabled` delivery;
 * - ordering: a keyed delivery is leased only when it is the first of its (endpoint, key) in the
 *   page, no earlier event of its key is undispatched (outbox rows another worker holds — skipped
 *   here by SKIP LOCKED — are undispatched in this statement's snapshot until that worker commits
 *   them with their deliveries) and no earlier delivery of its key to that endpoint is pending;
 * - limits: per endpoint, the worker's cap minus what it holds; in total, `claim.limit` leases, and
 *   the page is taken up to the event that used the last lease (later events stay in the outbox).
 * The subqueries and the INSERT read the snapshot of the statement's start, so the page's own new
 * deliveries are not seen by its checks: the window functions account for them.
 *
 * The page's LIMIT is a sub-select, not the bare parameter: with the parameter folded in (the
 * first executions of a prepared statement are planned with their values) and statistics that
 * still counted a few hundred undispatched rows after a large append, PostgreSQL read every
 * undispatched row through a bitmap scan and sorted them on disk to keep 256 (auto_explain at a
 * worker's start on 30,000 waiting events: 4.7 MB external merge, 18–22 ms a page, against
 * 0.1–0.3 ms for the index scan). A LIMIT it cannot read at planning time is costed as a small
 * part of the rows, so the plan is always the index scan of `outbox_pending` in id order.
 *
 * The page is marked through `id = ANY(ARRAY(SELECT id FROM taken))`, not `FROM taken WHERE
 * outbox.id = taken.id`: joined to the CTE, whose size the planner guesses at a few hundred rows,
 * an outbox of up to some tens of thousands of rows was read whole (a hash join over a sequential
 * scan) on every page — 0.4–1.4 ms of each fan-out at 5,000–10,000 rows. The array is one look-up
 * of the primary key per event at any size (docs/postgres-dispatch.md, seventh round).
 */
import type { SqlExecutor, SqlValue } from '../sqlExecutor.js';
import type { ClaimedDelivery, FanOutClaim, FanOutResult } from '../types.js';
import { arrayLiteral, namedStatement } from './namedParameters.js';
import { newWebhookIds } from './newWebhookIds.js';
import { commonSlot, endpointFromRow } from './webhookRows.js';

/**
 * The statement's parts, its parameters written `$name` (turned into `?` by `namedStatement`).
 * The page, its routing and the ordering rule come first; then what the page takes and leases,
 * with the caps (`cappedTake`) or without them (`caplessTake`); then the writes and the answer.
 */
const pageRules = `WITH page AS (
  SELECT id, type, ordering_key, body, created_at FROM outbox
  WHERE dispatched_at IS NULL ORDER BY id LIMIT (SELECT $pageSize::int) FOR UPDATE SKIP LOCKED
), routed AS (
  SELECT p.id, p.type, p.ordering_key, p.body, p.created_at,
    COALESCE(s.id, c.id) AS endpoint_id,
    COALESCE(CASE WHEN s.id IS NOT NULL THEN s.disabled_at IS NULL
      WHEN c.id IS NOT NULL THEN c.disabled_at IS NULL END, false) AS enabled,
    min(p.id) OVER (PARTITION BY p.ordering_key) AS first_of_key
  FROM page p
  LEFT JOIN endpoints s ON s.slot = p.type AND s.removed_at IS NULL
  LEFT JOIN endpoints c ON c.slot = $commonSlot AND c.removed_at IS NULL
), ordered AS (
  SELECT r.*, r.endpoint_id IS NOT NULL AND (r.ordering_key IS NULL OR (
      row_number() OVER (PARTITION BY r.endpoint_id, r.ordering_key ORDER BY r.id) = 1
      AND NOT EXISTS (SELECT 1 FROM outbox o
        WHERE o.ordering_key = r.ordering_key AND o.ordering_key IS NOT NULL
          AND o.dispatched_at IS NULL AND o.id < r.first_of_key)
      AND NOT EXISTS (SELECT 1 FROM deliveries e
        WHERE e.endpoint_id = r.endpoint_id AND e.ordering_key = r.ordering_key
          AND e.ordering_key IS NOT NULL AND e.status = 'pending' AND e.event_id < r.id))) AS in_order
  FROM routed r
`;

/**
 * The caps: per endpoint, the worker's cap minus what it holds (`row_number` over the endpoint's
 * leasable events); in total, `leaseLimit` leases, the page cut after the event that used the last.
 */
const cappedTake = `), ranked AS (
  SELECT o.*, o.enabled AND o.in_order AND row_number() OVER (
      PARTITION BY o.endpoint_id, o.enabled AND o.in_order ORDER BY o.id)
    <= $perEndpoint::int - COALESCE(f.held, 0) AS want_lease
  FROM ordered o
  LEFT JOIN unnest($heldIds::bigint[], $heldCounts::int[]) AS f(endpoint_id, held)
    ON f.endpoint_id = o.endpoint_id
), counted AS (
  SELECT r.*, count(*) FILTER (WHERE r.want_lease) OVER (ORDER BY r.id ROWS UNBOUNDED PRECEDING) AS through
  FROM ranked r
), taken AS (
  SELECT c.*, c.want_lease AND c.through <= $leaseLimit::int AS lease,
    row_number() OVER (ORDER BY c.id)::int AS n
  FROM counted c
  WHERE c.through - c.want_lease::int < $leaseLimit::int
`;

/**
 * Without the caps: every leasable event is leased (when `leasing`) and the whole page is taken.
 * Used when the caps cannot bind — the page holds no more events than the total room and than
 * any endpoint's room — so it takes and leases exactly what `cappedTake` would, without its two
 * window functions, their sorts and the join to the held counts (4.5 of 59.5 µs of the server's
 * CPU per event in the paired runs of docs/postgres-dispatch.md, eighth round). That is the
 * common case: a worker's free slots asked for as one page.
 */
const caplessTake = `), taken AS (
  SELECT o.*, o.enabled AND o.in_order AND $leasing::int = 1 AS lease,
    row_number() OVER (ORDER BY o.id)::int AS n
  FROM ordered o`;

const writesAndAnswer = `), marked AS (
  UPDATE outbox SET dispatched_at = $at::bigint WHERE outbox.id = ANY(ARRAY(SELECT id FROM taken))
), inserted AS (
  INSERT INTO deliveries
    (event_id, endpoint_id, event_type, webhook_id, status, next_attempt_at, lease_owner,
     lease_expires_at, created_at, updated_at, ordering_key)
  SELECT t.id, t.endpoint_id, t.type, ($webhookIds::text[])[t.n],
    CASE WHEN t.enabled THEN 'pending' ELSE 'disabled' END,
    CASE WHEN t.enabled THEN $at::bigint END,
    CASE WHEN t.lease THEN $owner::text END,
    CASE WHEN t.lease THEN $leaseUntil::bigint END,
    $at::bigint, $at::bigint, t.ordering_key
  FROM taken t WHERE t.endpoint_id IS NOT NULL ORDER BY t.id
  /*on conflict*/
  RETURNING id, event_id, webhook_id, lease_owner
), firsts AS (
  -- The endpoint's columns come once per page, on its first leased event: the worker keeps them.
  SELECT t.endpoint_id, min(t.id) AS first_id FROM taken t JOIN inserted i ON i.event_id = t.id
  WHERE i.lease_owner IS NOT NULL GROUP BY t.endpoint_id
)
SELECT t.id AS event_id, t.type, t.ordering_key, t.endpoint_id, t.enabled, t.in_order,
  i.id AS delivery_id, i.webhook_id, i.lease_owner IS NOT NULL AS leased,
  CASE WHEN i.lease_owner IS NOT NULL THEN t.body END AS body, t.created_at,
  ep.id AS ep_id, ep.event_type AS ep_event_type, ep.url AS ep_url, ep.secrets AS ep_secrets,
  ep.disabled_at AS ep_disabled_at, ep.disabled_reason AS ep_disabled_reason,
  ep.first_failure_at AS ep_first_failure_at, ep.removed_at AS ep_removed_at,
  ep.created_at AS ep_created_at, ep.updated_at AS ep_updated_at
FROM taken t
LEFT JOIN inserted i ON i.event_id = t.id
LEFT JOIN firsts f ON f.first_id = t.id
LEFT JOIN endpoints ep ON ep.id = f.endpoint_id
ORDER BY t.id`;

/** The fan-out with the caps, and without them (parameters as `$name`; `pairedStatements.ts` edits them). */
export const fanOutTemplates = {
  capped: pageRules + cappedTake + writesAndAnswer,
  capless: pageRules + caplessTake + writesAndAnswer,
};

/**
 * The statement as it runs: a plain INSERT of the deliveries. A delivery of an event can exist
 * before the event is fanned out only if something outside unsub reset its `dispatched_at` (this
 * statement locks the undispatched rows it takes and marks them in the same statement, and nothing
 * else inserts deliveries), so the conflict check of ON CONFLICT — a probe of the unique index and
 * a speculative insertion per delivery, 7 % of the statement (docs/postgres-dispatch.md, seventh
 * round) — is paid only when the plain INSERT meets one: the page is then fanned out again with
 * the tolerant text (the failed statement changed nothing), which skips such deliveries.
 */
function texts(template: string) {
  return {
    plain: namedStatement(template.replace('/*on conflict*/', '')),
    tolerant: namedStatement(
      template.replace('/*on conflict*/', 'ON CONFLICT (event_id, endpoint_id) DO NOTHING'),
    ),
  };
}
const statements = { capped: texts(fanOutTemplates.capped), capless: texts(fanOutTemplates.capless) };

/** A row of the statement's result: one per event taken from the outbox. */
interface TakenRow {
  [column: string]: unknown;
  event_id: number;
  type: string;
  ordering_key: number | null;
  endpoint_id: number | null;
  enabled: boolean;
  in_order: boolean;
  delivery_id: number | null;
  webhook_id: string | null;
  leased: boolean | null;
  body: string | null;
  created_at: number;
}

/**
 * `fanOutPending` in one statement per page (PostgreSQL). Another page only when the last one was
 * taken whole and leases are left (its held or disabled events used none): each page commits on
 * its own, and the next one's checks see it.
 */
export function createFanOutStatement(executor: SqlExecutor) {
  return async function fanOutPending(at: number, limit: number, claim?: FanOutClaim): Promise<FanOutResult> {
    const leasing = claim !== undefined && claim.limit > 0;
    const maxEvents = Math.max(1, limit);
    const perEndpoint = leasing ? (claim.perEndpointLimit ?? claim.limit) : 0;
    /** What the worker holds per endpoint: its in-flight deliveries, then this call's leases too. */
    const held = new Map(claim?.inFlight ?? []);
    let leaseRoom = leasing ? claim.limit : 0;
    let events = 0;
    let deliveries = 0;
    let heldBack = 0;
    const claimed: ClaimedDelivery[] = [];
    const endpoints = new Map<number, ReturnType<typeof endpointFromRow>>();
    for (;;) {
      const pageSize = leasing ? Math.min(maxEvents - events, Math.max(leaseRoom, 16)) : maxEvents;
      const values: Record<string, SqlValue> = {
        pageSize,
        commonSlot,
        perEndpoint,
        heldIds: arrayLiteral([...held.keys()]),
        heldCounts: arrayLiteral([...held.values()]),
        // Without a claim nothing is leased (no room per endpoint) and the whole page is taken.
        leaseLimit: leasing ? leaseRoom : 1,
        at,
        webhookIds: arrayLiteral(newWebhookIds(pageSize)),
        owner: claim?.owner ?? null,
        leaseUntil: at + (claim?.leaseMs ?? 0),
        leasing: leasing ? 1 : 0,
      };
      // The caps bind only when the page could lease more than the room left in total or for an
      // endpoint (endpoints the worker holds nothing of have all of `perEndpoint`).
      const capsBind =
        leasing && (pageSize > leaseRoom || pageSize > perEndpoint - Math.max(0, ...held.values()));
      const { plain, tolerant } = capsBind ? statements.capped : statements.capless;
      const parameters = plain.parameters(values);
      const rows = await executor.all<TakenRow>(plain.sql, parameters).catch((error: unknown) => {
        if (executor.uniqueViolation(error) === undefined) throw error;
        return executor.all<TakenRow>(tolerant.sql, parameters);
      });
      events += rows.length;
      for (const row of rows) {
        if (row.delivery_id !== null) deliveries += 1;
        if (leasing && row.enabled && !row.in_order) heldBack += 1;
        if (row.leased !== true || claim === undefined) continue;
        const endpointId = Number(row.endpoint_id);
        let endpoint = endpoints.get(endpointId);
        if (!endpoint) {
          // Ids ascend, so the row that carries the endpoint's columns came first.
          if (row.ep_id === null) throw new Error(`fan-out: no columns for endpoint ${endpointId}`);
          endpoint = endpointFromRow({
            id: endpointId,
            event_type: row.ep_event_type as string | null,
            url: row.ep_url as string,
            secrets: row.ep_secrets as string,
            disabled_at: row.ep_disabled_at as number | null,
            disabled_reason: row.ep_disabled_reason as string | null,
            first_failure_at: row.ep_first_failure_at as number | null,
            removed_at: row.ep_removed_at as number | null,
            created_at: row.ep_created_at as number,
            updated_at: row.ep_updated_at as number,
          });
          endpoints.set(endpointId, endpoint);
        }
        leaseRoom -= 1;
        held.set(endpointId, (held.get(endpointId) ?? 0) + 1);
        claimed.push({
          id: Number(row.delivery_id),
          eventId: Number(row.event_id),
          eventType: row.type,
          endpointId,
          webhookId: row.webhook_id ?? '',
          status: 'delivering',
          attempts: 0,
          nextAttemptAt: at,
          leaseOwner: claim.owner,
          leaseExpiresAt: at + claim.leaseMs,
          orderingKey: row.ordering_key === null ? null : Number(row.ordering_key),
          lastStatus: null,
          lastError: null,
          createdAt: at,
          updatedAt: at,
          body: row.body ?? '',
          eventAt: Number(row.created_at),
          url: endpoint.url,
          secrets: endpoint.secrets,
          endpointFirstFailureAt: endpoint.firstFailureAt,
        });
      }
      // The page was cut at the last lease, or the outbox had no more: done.
      if (!leasing || leaseRoom <= 0 || rows.length < pageSize || events >= maxEvents) break;
    }
    if (!leasing) return { events, deliveries };
    return events === 0 ? { events, deliveries, claimed } : { events, deliveries, claimed, held: heldBack };
  };
}
