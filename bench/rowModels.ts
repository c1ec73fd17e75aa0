/**
 * @module A measurement for the PostgreSQL data-model question of issue 12 (docs/postgres-dispatch.md,
 * seventh round): what the server pays per event, at best, for each way of keeping a delivery's
 * record, with no rules at all (no routing, ordering, caps, rollups) — so the gap to
 * graphile-worker that no leaner statement can close shows up alone.
 *
 * On fresh schemas of unsub's own migrations, one connection, pages of 64 events, each model
 * runs the same cycle: take a page of undispatched events (FOR UPDATE SKIP LOCKED) and lease it,
 * then record a success for every event of the page, each statement committed on its own:
 * - `today`: the store's own fan-out and completion statements (`fanOutPending` with a claim,
 *   `completeAttempts` of plain successes): every rule included, for scale;
 * - `bare`: today's rows without the rules: the outbox row marked, a delivery inserted leased,
 *   then that delivery updated succeeded (three row versions, today's indexes);
 * - `outbox-row`: the first attempt kept in the outbox row itself (lease and success columns
 *   added for the experiment): the row marked and leased, then its success written — no delivery
 *   row for a first-attempt success (two row versions of one row, the second a HOT update);
 * - `inflight`: the lease kept in the outbox row while it stays undispatched (lease columns in no
 *   index, so the lease is a HOT update; later pages step over the rows in flight and an expired
 *   lease is simply taken again — no watermark, no sweep), then the success marks the row
 *   dispatched and inserts its delivery row, final (docs/postgres-dispatch.md, eleventh round);
 * - `inflight-row`: the same lease, the success kept in the outbox row (no delivery row);
 *   both inflight models keep one page in flight (each step leases a page and completes the one
 *   before), so their pages step over the rows in flight as a worker's would;
 * - `queue`: what a job queue writes (graphile-worker's shape): the row leased, then deleted.
 *
 * `npx tsx bench/rowModels.ts`. Knobs: BENCH_MODEL_EVENTS (20,000), BENCH_MODEL_ROUNDS (2,
 * alternated), BENCH_MODEL_ONLY (models, comma-separated), UNSUB_TEST_DATABASE_URL. Prints server
 * CPU µs per event (from `/proc`, the backends of each model's connections) and WAL bytes per event.
 */
import pg from 'pg';
import { outboxEvent, type Store } from '../src/store/index.js';
import { benchSchemaStore, dropSchema } from './graphileCycle.js';
import { backendCpu, cpuBetween, withApplicationName } from './processCpu.js';

const url = process.env.UNSUB_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const events = Number(process.env.BENCH_MODEL_EVENTS ?? 20_000);
const rounds = Number(process.env.BENCH_MODEL_ROUNDS ?? 2);
const page = 64;

type Model =
  | 'today'
  | 'today-fanout'
  | 'today-complete'
  | 'bare'
  | 'returning'
  | 'outbox-row'
  | 'outbox-lease'
  | 'inflight'
  | 'inflight-row'
  | 'queue';

/** A fresh schema of unsub's migrations with one endpoint and `events` undispatched events. */
async function prepare(model: Model): Promise<{ schema: string; store: Store; endpointId: number }> {
  const { schema, store, endpoint } = await benchSchemaStore(url, 'bench_model');
  for (let start = 0; start < events; start += 1_000) {
    await store.appendEvents(
      Array.from({ length: 1_000 }, (_, i) =>
        outboxEvent({
          event: 'message sent',
          to: `user${start + i}@example.com`,
          message_uid: `m${start + i}`,
        }),
      ),
      Date.now(),
    );
  }
  if (model === 'outbox-lease') {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`SET search_path = "${schema}";
      ALTER TABLE outbox ADD COLUMN lease_delivery_id BIGINT, ADD COLUMN endpoint_id INTEGER, ADD COLUMN webhook_id TEXT,
        ADD COLUMN lease_owner TEXT, ADD COLUMN lease_expires_at BIGINT;`);
    await client.end();
  }
  if (model === 'inflight' || model === 'inflight-row') {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`SET search_path = "${schema}";
      ALTER TABLE outbox ADD COLUMN lease_delivery_id BIGINT, ADD COLUMN endpoint_id INTEGER, ADD COLUMN webhook_id TEXT,
        ADD COLUMN lease_owner TEXT, ADD COLUMN lease_expires_at BIGINT, ADD COLUMN last_status INTEGER,
        ADD COLUMN success_at BIGINT, ADD COLUMN success_duration_ms INTEGER, ADD COLUMN success_excerpt TEXT;`);
    await client.end();
  }
  if (model === 'outbox-row') {
    // The columns the first attempt would need on the outbox row (none indexed: the success is HOT).
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`SET search_path = "${schema}";
      ALTER TABLE outbox ADD COLUMN endpoint_id INTEGER, ADD COLUMN webhook_id TEXT, ADD COLUMN lease_owner TEXT,
        ADD COLUMN lease_expires_at BIGINT, ADD COLUMN last_status INTEGER, ADD COLUMN success_at BIGINT,
        ADD COLUMN success_duration_ms INTEGER, ADD COLUMN success_excerpt TEXT;`);
    await client.end();
  }
  return { schema, store, endpointId: endpoint.id };
}

/** Today's rows, bare: a page of `$1` events marked, each with a delivery inserted leased to `$4`. */
const bareFanOutSql = `WITH p AS (SELECT id, type FROM outbox WHERE dispatched_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED),
  m AS (UPDATE outbox SET dispatched_at = $2 FROM p WHERE outbox.id = p.id)
  INSERT INTO deliveries (event_id, endpoint_id, event_type, webhook_id, status, next_attempt_at,
    lease_owner, lease_expires_at, created_at, updated_at)
  SELECT p.id, $3, p.type, 'msg_' || p.id, 'pending', $2, $4, $2::bigint + 60000, $2, $2 FROM p RETURNING id`;

/** Today's rows, bare: the leased deliveries `$1` recorded succeeded (the attempt in the row). */
const bareSuccessSql = `UPDATE deliveries SET status = 'succeeded', attempts = attempts + 1, next_attempt_at = NULL,
  lease_owner = NULL, lease_expires_at = NULL, last_status = 204, updated_at = $2,
  success_attempt_id = nextval('attempts_id_seq'), success_at = $2, success_duration_ms = 1,
  success_excerpt = '', success_worker = $3
WHERE id = ANY($1::bigint[]) AND lease_owner = $3`;

/** The inflight models' page in flight, per connection. */
const inFlight = new Map<pg.Client, number[]>();

/** One page of `model`: leases up to `page` events and records their success; answers how many. */
async function step(model: Model, store: Store, client: pg.Client, endpointId: number): Promise<number> {
  const owner = 'bench#1';
  const at = Date.now();
  /** The store's completion of `ids` as plain successes. */
  const succeed = (ids: number[]) =>
    store.completeAttempts(
      ids.map((id) => ({
        deliveryId: id,
        owner,
        outcome: 'succeeded' as const,
        at,
        attempt: { at, status: 204, durationMs: 1, error: null, responseExcerpt: '' },
      })),
    );
  {
    let ids: number[];
    if (model === 'today') {
      const result = await store.fanOutPending(at, page, { owner, leaseMs: 60_000, limit: page });
      ids = (result.claimed ?? []).map((delivery) => delivery.id);
      await succeed(ids);
    } else if (model === 'today-fanout') {
      // The store's fan-out, then the bare success: what the fan-out's rules cost alone.
      const result = await store.fanOutPending(at, page, { owner, leaseMs: 60_000, limit: page });
      ids = (result.claimed ?? []).map((delivery) => delivery.id);
      await client.query(bareSuccessSql, [ids, at, owner]);
    } else if (model === 'today-complete') {
      // The bare fan-out, then the store's completion: what the completion's rules cost alone.
      const { rows } = await client.query<{ id: string }>(bareFanOutSql, [page, at, endpointId, owner]);
      ids = rows.map((row) => Number(row.id));
      await succeed(ids);
    } else if (model === 'returning') {
      // The bare writes, returning what the worker needs to send (body, endpoint) as today's does.
      const { rows } = await client.query<{ id: string }>(
        `WITH p AS (SELECT id, type, ordering_key, body, created_at FROM outbox WHERE dispatched_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED),
         m AS (UPDATE outbox SET dispatched_at = $2 FROM p WHERE outbox.id = p.id),
         i AS (INSERT INTO deliveries (event_id, endpoint_id, event_type, webhook_id, status, next_attempt_at,
           lease_owner, lease_expires_at, created_at, updated_at)
         SELECT p.id, $3, p.type, 'msg_' || p.id, 'pending', $2, $4, $2::bigint + 60000, $2, $2 FROM p RETURNING id, event_id, webhook_id)
         SELECT i.id, i.webhook_id, p.type, p.ordering_key, p.body, p.created_at, ep.url, ep.secrets, ep.first_failure_at
         FROM p JOIN i ON i.event_id = p.id JOIN endpoints ep ON ep.id = $3 ORDER BY p.id`,
        [page, at, endpointId, owner],
      );
      ids = rows.map((row) => Number(row.id));
      await client.query(bareSuccessSql, [ids, at, owner]);
    } else if (model === 'bare') {
      const { rows } = await client.query<{ id: string }>(bareFanOutSql, [page, at, endpointId, owner]);
      ids = rows.map((row) => Number(row.id));
      await client.query(bareSuccessSql, [ids, at, owner]);
    } else if (model === 'outbox-lease') {
      const { rows } = await client.query<{ id: string }>(
        `UPDATE outbox SET dispatched_at = $2::bigint, endpoint_id = $3, webhook_id = 'msg_' || outbox.id,
           lease_owner = $4, lease_expires_at = $2::bigint + 60000, lease_delivery_id = nextval('deliveries_id_seq')
         FROM (SELECT id FROM outbox WHERE dispatched_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) p
         WHERE outbox.id = p.id RETURNING outbox.id, outbox.lease_delivery_id`,
        [page, at, endpointId, owner],
      );
      ids = rows.map((row) => Number(row.id));
      await client.query(
        `INSERT INTO deliveries (id, event_id, endpoint_id, event_type, webhook_id, status, attempts, last_status,
           created_at, updated_at, success_attempt_id, success_at, success_duration_ms, success_excerpt, success_worker)
         OVERRIDING SYSTEM VALUE SELECT o.lease_delivery_id, o.id, o.endpoint_id, o.type, o.webhook_id, 'succeeded', 1, 204, $2, $2,
           nextval('attempts_id_seq'), $2, 1, '', $3
         FROM outbox o WHERE o.id = ANY($1::bigint[]) AND o.lease_owner = $3`,
        [ids, at, owner],
      );
    } else if (model === 'inflight' || model === 'inflight-row') {
      // The lease kept in the outbox row, the row still undispatched (a HOT update): a later page
      // steps over the rows in flight, and an expired lease is simply taken again. One page stays
      // in flight: each step leases a page and completes the one before.
      const { rows } = await client.query<{ id: string }>(
        `UPDATE outbox SET endpoint_id = $3, webhook_id = COALESCE(outbox.webhook_id, 'msg_' || outbox.id),
           lease_owner = $4, lease_expires_at = $2::bigint + 60000,
           lease_delivery_id = COALESCE(outbox.lease_delivery_id, nextval('deliveries_id_seq'))
         FROM (SELECT id FROM outbox WHERE dispatched_at IS NULL AND (lease_expires_at IS NULL OR lease_expires_at <= $2::bigint)
               ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) p
         WHERE outbox.id = p.id RETURNING outbox.id, outbox.lease_delivery_id`,
        [page, at, endpointId, owner],
      );
      const previous = inFlight.get(client) ?? [];
      inFlight.set(
        client,
        rows.map((row) => Number(row.id)),
      );
      ids = rows.map((row) => Number(row.id));
      if (model === 'inflight') {
        await client.query(
          `WITH done AS (
             UPDATE outbox o SET dispatched_at = $2::bigint, lease_owner = NULL, lease_expires_at = NULL
             WHERE o.id = ANY($1::bigint[]) AND o.lease_owner = $3 AND o.dispatched_at IS NULL
             RETURNING o.id, o.lease_delivery_id, o.endpoint_id, o.type, o.webhook_id)
           INSERT INTO deliveries (id, event_id, endpoint_id, event_type, webhook_id, status, attempts, last_status,
             created_at, updated_at, success_attempt_id, success_at, success_duration_ms, success_excerpt, success_worker)
           OVERRIDING SYSTEM VALUE SELECT d.lease_delivery_id, d.id, d.endpoint_id, d.type, d.webhook_id, 'succeeded', 1, 204, $2, $2,
             nextval('attempts_id_seq'), $2, 1, '', $3
           FROM done d`,
          [previous, at, owner],
        );
      } else {
        await client.query(
          `UPDATE outbox SET dispatched_at = $2::bigint, lease_owner = NULL, lease_expires_at = NULL, last_status = 204,
             success_at = $2, success_duration_ms = 1, success_excerpt = ''
           WHERE id = ANY($1::bigint[]) AND lease_owner = $3 AND dispatched_at IS NULL`,
          [previous, at, owner],
        );
      }
    } else if (model === 'outbox-row') {
      const { rows } = await client.query<{ id: string }>(
        `UPDATE outbox SET dispatched_at = $2::bigint, endpoint_id = $3, webhook_id = 'msg_' || outbox.id,
           lease_owner = $4, lease_expires_at = $2::bigint + 60000
         FROM (SELECT id FROM outbox WHERE dispatched_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) p
         WHERE outbox.id = p.id RETURNING outbox.id`,
        [page, at, endpointId, owner],
      );
      ids = rows.map((row) => Number(row.id));
      await client.query(
        `UPDATE outbox SET lease_owner = NULL, lease_expires_at = NULL, last_status = 204, success_at = $2,
           success_duration_ms = 1, success_excerpt = ''
         WHERE id = ANY($1::bigint[]) AND lease_owner = $3`,
        [ids, at, owner],
      );
    } else {
      const { rows } = await client.query<{ id: string }>(
        `UPDATE outbox SET dispatched_at = $2::bigint
         FROM (SELECT id FROM outbox WHERE dispatched_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) p
         WHERE outbox.id = p.id RETURNING outbox.id`,
        [page, at],
      );
      ids = rows.map((row) => Number(row.id));
      await client.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [ids]);
    }
    return ids.length;
  }
}

const walLsn = async (client: pg.Client) =>
  (await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;

const models = (process.env.BENCH_MODEL_ONLY?.split(',') ?? [
  'today',
  'bare',
  'returning',
  'outbox-row',
  'outbox-lease',
  'inflight',
  'inflight-row',
  'queue',
]) as Model[];
const results = new Map<Model, { cpu: number[]; wal: number[] }>(
  models.map((m) => [m, { cpu: [], wal: [] }]),
);
for (let round = 1; round <= rounds; round++) {
  // Every model on its own schema and connections, their pages interleaved, so that the machine's
  // load (these machines are shared) weighs on all of them alike.
  const sides = [];
  for (const model of models) {
    const { schema, store, endpointId } = await prepare(model);
    const client = new pg.Client({
      connectionString: withApplicationName(url, schema),
      options: `-c search_path="${schema}"`,
    });
    await client.connect();
    sides.push({ model, schema, store, endpointId, client, cpu: backendCpu(url, schema), done: 0 });
  }
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  for (const side of sides) await admin.query(`VACUUM ANALYZE "${side.schema}".outbox`);
  const before = await Promise.all(sides.map((side) => side.cpu.read()));
  const wal = new Map<Model, number>(models.map((m) => [m, 0]));
  let pages = 0;
  while (sides.some((side) => side.done < events)) {
    // What autovacuum does on a production server (this machine's runs without it): fresh
    // statistics, which make the store's pooled connections plan again. Without them they kept the
    // plans made on empty tables, a sequential scan of the deliveries in every completion (the
    // `bare` statements, unnamed, are planned afresh each time and never had that handicap).
    if (++pages % 40 === 0)
      for (const side of sides)
        await admin.query(`ANALYZE "${side.schema}".outbox, "${side.schema}".deliveries`);
    for (const side of sides) {
      if (side.done >= events) continue;
      const lsn = await walLsn(admin);
      const n = await step(side.model, side.store, side.client, side.endpointId);
      const bytes = Number(
        (
          await admin.query<{ n: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::bigint AS n', [
            lsn,
          ])
        ).rows[0]!.n,
      );
      wal.set(side.model, (wal.get(side.model) ?? 0) + bytes);
      if (n === 0) throw new Error(`${side.model}: the page came back empty after ${side.done} events`);
      side.done += n;
    }
  }
  for (const [index, side] of sides.entries()) {
    const serverMs = cpuBetween(before[index]!, await side.cpu.read());
    const entry = results.get(side.model)!;
    entry.cpu.push((serverMs * 1000) / events);
    entry.wal.push((wal.get(side.model) ?? 0) / events);
    process.stdout.write(
      `round ${round} ${side.model}: server ${Math.round((serverMs * 1000) / events)} µs/event, WAL ${Math.round(
        (wal.get(side.model) ?? 0) / events,
      )} B/event\n`,
    );
    await side.client.end();
    await side.store.close();
    await dropSchema(url, side.schema);
  }
  await admin.end();
}
const summary = Object.fromEntries(
  models.map((model) => {
    const { cpu, wal } = results.get(model)!;
    const mean = (values: number[]) =>
      Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10;
    return [model, { server_us_per_event: mean(cpu), wal_bytes_per_event: mean(wal) }];
  }),
);
process.stdout.write(`${JSON.stringify(summary)}\n`);
