/**
 * @module The row models of `bench/leaseCycle.ts` as stores: a `Store` whose `fanOutPending` and
 * `completeAttempts` are replaced by one statement each of a model (docs/postgres-dispatch.md,
 * eighth and eleventh rounds), for unkeyed events to one endpoint only — prototypes for
 * measurement, not the feature (no expiry sweep, no readers). `bench:dispatch` runs its PostgreSQL
 * workers on one of them with BENCH_MODEL (`dispatchWorker.ts`).
 */
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import type { ClaimedDelivery, CompleteAttemptInput, Store, WebhookEndpoint } from '../src/store/index.js';
import { commitWithoutFlush } from '../src/store/verbs/commitWithoutFlush.js';
import { completionRow } from '../src/store/verbs/completeStatement.js';
import { fanOutTemplates } from '../src/store/verbs/fanOutStatement.js';
import { commonSlot } from '../src/store/verbs/webhookRows.js';

/** The models written as a store's two statements. */
export type ModelSide = 'bare' | 'lease' | 'inflight' | 'inflight-rules';

const bareFanOut = `WITH page AS (
  SELECT id, type, body, created_at FROM outbox WHERE dispatched_at IS NULL ORDER BY id
  LIMIT (SELECT $1::int) FOR UPDATE SKIP LOCKED
), marked AS (
  UPDATE outbox SET dispatched_at = $2 WHERE id = ANY(ARRAY(SELECT id FROM page))
), inserted AS (
  INSERT INTO deliveries (event_id, endpoint_id, event_type, webhook_id, status, next_attempt_at,
    lease_owner, lease_expires_at, created_at, updated_at)
  SELECT p.id, $3, p.type, 'msg_' || p.id, 'pending', $2, $4, $5, $2, $2 FROM page p ORDER BY p.id
  RETURNING id, event_id, webhook_id
)
SELECT p.id AS event_id, p.type, p.body, p.created_at, i.id AS delivery_id, i.webhook_id
FROM page p JOIN inserted i ON i.event_id = p.id ORDER BY p.id`;

const bareComplete = `UPDATE deliveries d SET status = 'succeeded', attempts = d.attempts + 1, next_attempt_at = NULL,
  lease_owner = NULL, lease_expires_at = NULL, last_status = r.status, updated_at = r.at,
  success_attempt_id = nextval('attempts_id_seq'), success_at = r.at, success_duration_ms = r.duration_ms,
  success_excerpt = r.excerpt, success_worker = r.owner
FROM json_to_recordset($1::json) AS r(id bigint, event_id bigint, owner text, status int, at bigint,
  duration_ms int, excerpt text)
WHERE d.id = ANY($2::bigint[]) AND d.id = r.id AND CASE WHEN d.status = 'pending' THEN true END
  AND d.lease_owner = r.owner
RETURNING d.id`;

const leaseFanOut = `WITH page AS (
  SELECT id, type, body, created_at FROM outbox WHERE dispatched_at IS NULL ORDER BY id
  LIMIT (SELECT $1::int) FOR UPDATE SKIP LOCKED
)
UPDATE outbox o SET dispatched_at = $2, lease_delivery_id = nextval('deliveries_id_seq'),
  lease_endpoint_id = $3, lease_webhook_id = 'msg_' || o.id, lease_owner = $4, lease_expires_at = $5
WHERE o.id = ANY(ARRAY(SELECT id FROM page))
RETURNING o.id AS event_id, o.type, o.body, o.created_at, o.lease_delivery_id AS delivery_id,
  o.lease_webhook_id AS webhook_id`;

const leaseComplete = `INSERT INTO deliveries (id, event_id, endpoint_id, event_type, webhook_id, status, attempts,
  last_status, created_at, updated_at, success_attempt_id, success_at, success_duration_ms,
  success_excerpt, success_worker)
OVERRIDING SYSTEM VALUE
SELECT o.lease_delivery_id, o.id, o.lease_endpoint_id, o.type, o.lease_webhook_id, 'succeeded', 1,
  r.status, r.at, r.at, nextval('attempts_id_seq'), r.at, r.duration_ms, r.excerpt, r.owner
FROM json_to_recordset($1::json) AS r(id bigint, event_id bigint, owner text, status int, at bigint,
  duration_ms int, excerpt text)
JOIN outbox o ON o.id = r.event_id AND o.lease_delivery_id = r.id AND o.lease_owner = r.owner
WHERE o.id = ANY($2::bigint[])
ON CONFLICT (id) DO NOTHING
RETURNING id`;

/**
 * `inflight` (eleventh round): the delivery's state in its event's row, its id the event's. The lease
 * leaves the row undispatched (a HOT update: its columns are in no index), so later pages step over
 * it and an expired lease is taken again by a page; the success marks the row dispatched with the
 * attempt in it. No delivery row.
 */
const inflightFanOut = `WITH page AS (
  SELECT id FROM outbox WHERE dispatched_at IS NULL AND (lease_expires_at IS NULL OR lease_expires_at <= $2)
  ORDER BY id LIMIT (SELECT $1::int) FOR UPDATE SKIP LOCKED
)
UPDATE outbox o SET webhook_id = COALESCE(o.webhook_id, 'msg_' || o.id), lease_owner = $4,
  lease_expires_at = $5
WHERE o.id = ANY(ARRAY(SELECT id FROM page)) AND $3::int IS NOT NULL
RETURNING o.id AS event_id, o.type, o.body, o.created_at, o.id AS delivery_id, o.webhook_id`;

const inflightComplete = `UPDATE outbox o SET dispatched_at = r.at, endpoint_id = $3, status = 'succeeded',
  attempts = 1, lease_owner = NULL, lease_expires_at = NULL, last_status = r.status,
  success_attempt_id = nextval('attempts_id_seq'), success_at = r.at, success_duration_ms = r.duration_ms,
  success_excerpt = r.excerpt, success_worker = r.owner
FROM json_to_recordset($1::json) AS r(id bigint, owner text, status int, at bigint, duration_ms int,
  excerpt text)
WHERE o.id = ANY($2::bigint[]) AND o.id = r.id AND o.lease_owner = r.owner AND o.dispatched_at IS NULL
RETURNING o.id`;

/**
 * `inflight-rules`: the same rows as `inflight`, written by today's fan-out and completion turned to
 * the model, every rule kept — routing, the ordering checks, held and disabled events marked at
 * once, the endpoint's columns on its first row, the rollups, the end of failure runs, the commit
 * without a flush — and the indexes the plan puts on the outbox (docs/postgres-dispatch.md,
 * eleventh round). What the model keeps of `inflight`'s lead once it does all the store does.
 */
/** The template literal named `name` in `src/store/verbs/<file>` (its `${…}` parts left as text). */
export function templateOf(file: string, name: string): string {
  const source = readFileSync(new URL(`../src/store/verbs/${file}`, import.meta.url), 'utf8');
  const start = source.indexOf(`const ${name} = \``);
  if (start < 0) throw new Error(`no ${name} in ${file}`);
  const from = start + `const ${name} = \``.length;
  return source.slice(from, source.indexOf('`;', from));
}

/** `text` with `edit` applied, or an error if the store's text changed under it. */
function edited(text: string, pattern: RegExp | string, replacement: string): string {
  const result = text.replace(pattern, replacement);
  if (result === text) throw new Error(`modelStores: the store's statement no longer has ${String(pattern)}`);
  return result;
}

/** Positional parameters for the fan-out's `$name`s, in this order. */
const rulesFanOutNames = ['pageSize', 'at', 'endpointId', 'owner', 'leaseUntil'];

/**
 * The store's fan-out without the caps (its page, routing and ordering rule as they are), turned to
 * the model: the page skips live leases and takes expired ones again; the earlier pending delivery
 * of a key is looked for in the outbox; the leasable events get the lease and stay undispatched
 * (a HOT update), the others are marked at once with their status.
 */
const rulesFanOut = (() => {
  let text = edited(
    fanOutTemplates.capless,
    'WHERE dispatched_at IS NULL ORDER BY id',
    'WHERE dispatched_at IS NULL AND (lease_expires_at IS NULL OR lease_expires_at <= $at::bigint) ORDER BY id',
  );
  text = edited(text, /FROM deliveries e([\s\S]*?)e\.event_id < r\.id/, 'FROM outbox e$1e.id < r.id');
  text = edited(
    text,
    /\), marked AS \([\s\S]*$/,
    `), leased AS (
  UPDATE outbox SET webhook_id = COALESCE(outbox.webhook_id, 'msg_' || outbox.id), lease_owner = $owner,
    lease_expires_at = $leaseUntil::bigint
  WHERE outbox.id = ANY(ARRAY(SELECT id FROM taken WHERE lease))
  RETURNING outbox.id, outbox.webhook_id
), marked AS (
  UPDATE outbox SET dispatched_at = $at::bigint, endpoint_id = t.endpoint_id,
    status = CASE WHEN t.endpoint_id IS NULL THEN NULL WHEN t.enabled THEN 'pending' ELSE 'disabled' END,
    next_attempt_at = CASE WHEN t.enabled THEN $at::bigint END, attempts = 0, updated_at = $at::bigint,
    webhook_id = COALESCE(outbox.webhook_id, 'msg_' || outbox.id)
  FROM taken t WHERE outbox.id = ANY(ARRAY(SELECT id FROM taken WHERE NOT lease)) AND t.id = outbox.id
), firsts AS (
  SELECT t.endpoint_id, min(t.id) AS first_id FROM taken t WHERE t.lease GROUP BY t.endpoint_id
)
SELECT t.id AS event_id, t.type, t.ordering_key, t.endpoint_id, t.enabled, t.in_order,
  t.id AS delivery_id, l.webhook_id, t.lease AS leased, CASE WHEN t.lease THEN t.body END AS body,
  t.created_at, ep.id AS ep_id, ep.url AS ep_url, ep.secrets AS ep_secrets,
  ep.first_failure_at AS ep_first_failure_at
FROM taken t
LEFT JOIN leased l ON l.id = t.id
LEFT JOIN firsts f ON f.first_id = t.id
LEFT JOIN endpoints ep ON ep.id = f.endpoint_id
WHERE $endpointId::int IS NOT NULL
ORDER BY t.id`,
  );
  // The rest of the store's parameters are constants here: every event leases, one common slot.
  text = text.replace(/\$leasing::int/g, '1').replace(/\$commonSlot/g, `'${commonSlot}'`);
  return text.replace(/\$([a-zA-Z]+)/g, (_, name: string) => {
    const index = rulesFanOutNames.indexOf(name);
    if (index < 0) throw new Error(`modelStores: no value for $${name}`);
    return `$${index + 1}`;
  });
})();

/**
 * The store's completion of plain successes (its rollups, failure runs and commit as they are),
 * turned to the model: the success marks the event's row, fenced by its lease.
 */
const rulesComplete = (() => {
  let n = 0;
  const text = templateOf('completeStatement.ts', 'completeSql')
    .replace(/\?/g, () => `$${++n}`)
    .replace('${commitWithoutFlush}', commitWithoutFlush);
  return edited(
    text,
    /\), done AS \([\s\S]*?\), outcomes AS \(/,
    `), done AS (
  UPDATE outbox o SET dispatched_at = r.at, endpoint_id = $3, status = 'succeeded', attempts = 1,
    next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL, last_status = r.status,
    last_error = NULL, updated_at = r.at, success_attempt_id = nextval('attempts_id_seq'),
    success_at = r.attempt_at, success_duration_ms = r.duration_ms, success_excerpt = r.excerpt,
    success_worker = r.owner
  FROM r WHERE o.id = ANY($2::bigint[]) AND o.id = r.id AND o.lease_owner = r.owner
    AND CASE WHEN o.dispatched_at IS NULL THEN true END
  RETURNING o.id, o.endpoint_id, r.hour, r.bucket
), outcomes AS (`,
  );
})();

interface Row {
  event_id: string;
  type: string;
  body: string;
  created_at: string;
  delivery_id: string;
  webhook_id: string;
}

/** `store` with fan-out and completion replaced by the side's two statements. */
export function modelStore(store: Store, pool: pg.Pool, endpoint: WebhookEndpoint, side: ModelSide): Store {
  const texts = {
    bare: { fanOut: bareFanOut, complete: bareComplete },
    lease: { fanOut: leaseFanOut, complete: leaseComplete },
    inflight: { fanOut: inflightFanOut, complete: inflightComplete },
    'inflight-rules': { fanOut: rulesFanOut, complete: rulesComplete },
  }[side];
  const eventOf = new Map<number, number>();
  return {
    ...store,
    async fanOutPending(at, limit, claim) {
      if (!claim) throw new Error('the prototype leases at fan-out only');
      const size = Math.min(limit, claim.limit);
      if (size <= 0) return { events: 0, deliveries: 0, claimed: [] };
      const { rows } = await pool.query<Row>({
        name: `${side.replace('-', '_')}_fan_out`,
        text: texts.fanOut,
        values: [size, at, endpoint.id, claim.owner, at + claim.leaseMs],
      });
      const claimed = rows.flatMap((row): ClaimedDelivery[] => {
        if (side === 'inflight-rules' && !(row as Row & { leased: boolean }).leased) return [];
        eventOf.set(Number(row.delivery_id), Number(row.event_id));
        return [
          {
            id: Number(row.delivery_id),
            eventId: Number(row.event_id),
            eventType: row.type,
            endpointId: endpoint.id,
            webhookId: row.webhook_id,
            status: 'delivering',
            attempts: 0,
            nextAttemptAt: at,
            leaseOwner: claim.owner,
            leaseExpiresAt: at + claim.leaseMs,
            orderingKey: null,
            lastStatus: null,
            lastError: null,
            createdAt: at,
            updatedAt: at,
            body: row.body,
            eventAt: Number(row.created_at),
            url: endpoint.url,
            secrets: endpoint.secrets,
            endpointFirstFailureAt: null,
          },
        ];
      });
      return { events: rows.length, deliveries: rows.length, claimed, held: 0 };
    },
    claimDeliveries: async () => [],
    async completeAttempts(results: readonly CompleteAttemptInput[]) {
      // The store's own rows of the completion's JSON parameter, with the event for `lease`.
      const rows = results.map((result) => ({
        ...completionRow(result),
        event_id: eventOf.get(result.deliveryId),
      }));
      const keys = side === 'lease' ? rows.map((row) => row.event_id) : rows.map((row) => row.id);
      const { rows: done } = await pool.query<{ id: string }>({
        name: `${side.replace('-', '_')}_complete`,
        text: texts.complete,
        values: [
          JSON.stringify(rows),
          `{${keys.join(',')}}`,
          ...(side === 'inflight' || side === 'inflight-rules' ? [endpoint.id] : []),
        ],
      });
      const applied = new Set(done.map((row) => Number(row.id)));
      for (const id of applied) eventOf.delete(id);
      return results.map((result) => applied.has(result.deliveryId));
    },
  };
}

/** Adds to a fresh schema of unsub's migrations the columns and indexes `side` writes. */
export async function prepareModelSchema(pool: pg.Pool | pg.Client, side: ModelSide): Promise<void> {
  if (side === 'lease')
    await pool.query(`ALTER TABLE outbox ADD COLUMN lease_delivery_id BIGINT, ADD COLUMN lease_endpoint_id INTEGER,
      ADD COLUMN lease_webhook_id TEXT, ADD COLUMN lease_owner TEXT, ADD COLUMN lease_expires_at BIGINT`);
  if (side === 'inflight' || side === 'inflight-rules')
    await pool.query(`ALTER TABLE outbox ADD COLUMN endpoint_id INTEGER, ADD COLUMN webhook_id TEXT,
      ADD COLUMN status TEXT, ADD COLUMN attempts INTEGER, ADD COLUMN lease_owner TEXT,
      ADD COLUMN lease_expires_at BIGINT, ADD COLUMN last_status INTEGER, ADD COLUMN success_attempt_id BIGINT,
      ADD COLUMN success_at BIGINT, ADD COLUMN success_duration_ms INTEGER, ADD COLUMN success_excerpt TEXT,
      ADD COLUMN success_worker TEXT, ADD COLUMN next_attempt_at BIGINT, ADD COLUMN last_error TEXT,
      ADD COLUMN updated_at BIGINT`);
  // The plan's indexes on the outbox: none on the lease's columns, so taking a lease stays HOT.
  if (side === 'inflight-rules')
    await pool.query(`CREATE INDEX outbox_claim ON outbox (endpoint_id, next_attempt_at, id)
        WHERE status = 'pending' AND dispatched_at IS NOT NULL;
      CREATE INDEX outbox_endpoint ON outbox (endpoint_id, id);
      CREATE INDEX outbox_final ON outbox (status, id) WHERE status IN ('failed', 'disabled');
      CREATE INDEX outbox_pending_delivery_key ON outbox (endpoint_id, ordering_key, id)
        WHERE status = 'pending' AND ordering_key IS NOT NULL;`);
}
