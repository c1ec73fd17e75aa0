/**
 * @module A paired measurement of one hot PostgreSQL statement against a variant of it
 * (docs/postgres-dispatch.md, seventh round). These machines are shared and their speed drifts by
 * a quarter within a minute, so two statements timed in separate runs cannot be told apart by
 * less than that; here the two run on twin schemas of the same data, a page of each in turn, on
 * one connection each, so the drift weighs on both alike and a difference of a few percent shows.
 *
 * `npx tsx bench/pairedStatements.ts`. STATEMENT=fanout (default) or complete; PAIR=a,b names two
 * variants below (default `full,<first other>`); BENCH_PAIR_EVENTS (10,000 per round), BENCH_PAIR_ROUNDS
 * (3), BENCH_PAIR_KEYED=1 (every event with an ordering key), BENCH_PAIR_PAGE (64 events a page) and
 * BENCH_PAIR_PAGE_B (the second variant's page, by default the same: each turn gives both sides as
 * many events), BENCH_PAIR_SQL_B (SQL run on the second variant's schema before its rounds — a
 * schema change as the variant, with `capless_b`, the same text under another name),
 * UNSUB_TEST_DATABASE_URL. Both schemas are analyzed every 40 turns, as autovacuum would: the
 * connections' cached plans otherwise keep the table sizes of their first pages. The texts are
 * the store's own (the fan-out's exported templates; the completion's read from its source file),
 * so `full` is always the current one (for the fan-out, its text with the caps). Prints each
 * variant's wall time per event (the statement's round trip: the server's work and the client's
 * parsing of the rows) and their ratio, cumulative over the rounds. With `pg_stat_statements`
 * loaded, its per-call `total_exec_time` of the two texts separates the server's part.
 */
import pg from 'pg';
import { outboxEvent, type Store } from '../src/store/index.js';
import { fanOutTemplates } from '../src/store/verbs/fanOutStatement.js';
import { namedStatement } from '../src/store/verbs/namedParameters.js';
import { newWebhookIds } from '../src/store/verbs/newWebhookIds.js';
import { benchSchemaStore, dropSchema } from './graphileCycle.js';
import { templateOf } from './modelStores.js';
import { processCpuMs } from './processCpu.js';

const url = process.env.UNSUB_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const events = Number(process.env.BENCH_PAIR_EVENTS ?? 10_000);
const rounds = Number(process.env.BENCH_PAIR_ROUNDS ?? 3);
const keyed = process.env.BENCH_PAIR_KEYED === '1';
const statement = process.env.STATEMENT === 'complete' ? 'complete' : 'fanout';
const pageA = Number(process.env.BENCH_PAIR_PAGE ?? 64);
const pageB = Number(process.env.BENCH_PAIR_PAGE_B ?? pageA);

type Edit = (sql: string) => string;

/** The fan-out with the page's rows marked through their tuple ids instead of their primary key. */
const markByTid: Edit = (s) =>
  s
    .replace(
      'SELECT id, type, ordering_key, body, created_at FROM outbox',
      'SELECT id, type, ordering_key, body, created_at, ctid AS row_tid FROM outbox',
    )
    .replace(
      'SELECT p.id, p.type, p.ordering_key, p.body, p.created_at,',
      'SELECT p.id, p.type, p.ordering_key, p.body, p.created_at, p.row_tid,',
    )
    .replace(
      'WHERE outbox.id = ANY(ARRAY(SELECT id FROM taken))',
      'WHERE outbox.ctid = ANY(ARRAY(SELECT row_tid FROM taken))',
    );

/** Fan-out variants: edits of the capped fan-out (`$name` parameters, numbered by `build`). */
const fanOutVariants: Record<string, Edit> = {
  full: (s) => s,
  tolerant: (s) => s.replace('/*on conflict*/', 'ON CONFLICT (event_id, endpoint_id) DO NOTHING'),
  joinupdate: (s) =>
    s.replace('WHERE outbox.id = ANY(ARRAY(SELECT id FROM taken))', 'FROM taken WHERE outbox.id = taken.id'),
  noorder: (s) =>
    s
      .replace('min(p.id) OVER (PARTITION BY p.ordering_key) AS first_of_key', 'p.id AS first_of_key')
      .replace(
        /SELECT r\.\*, r\.endpoint_id IS NOT NULL AND \(r\.ordering_key IS NULL OR \([\s\S]*?\)\)\) AS in_order/,
        'SELECT r.*, r.endpoint_id IS NOT NULL AS in_order',
      ),
  nocaps: (s) =>
    s
      .replace(
        /SELECT o\.\*, o\.enabled AND o\.in_order AND row_number\(\) OVER \([\s\S]*?ON f\.endpoint_id = o\.endpoint_id/,
        'SELECT o.*, o.enabled AND o.in_order AS want_lease FROM ordered o WHERE $perEndpoint::int + ' +
          'cardinality($heldIds::bigint[]) + cardinality($heldCounts::int[]) IS NOT NULL',
      )
      .replace(
        /SELECT r\.\*, count\(\*\) FILTER \(WHERE r\.want_lease\) OVER \(ORDER BY r\.id ROWS UNBOUNDED PRECEDING\) AS through\s*FROM ranked r/,
        'SELECT r.*, 0::bigint AS through FROM ranked r',
      ),
  // The product's own text for pages the caps cannot bind.
  capless: () => fanOutTemplates.capless,
  // The page's rows marked through their tuple ids (a TID scan) instead of their primary key.
  ctid: (s) => markByTid(s),
  capless_ctid: () => markByTid(fanOutTemplates.capless),
  // Webhook ids made by the statement from the event's id instead of sent as an array.
  capless_sqlids: () => fanOutTemplates.capless.replace('($webhookIds::text[])[t.n]', "'msg_' || t.id"),
  // The same text under another name: for a schema change on the second twin (BENCH_PAIR_SQL_B).
  capless_b: () => fanOutTemplates.capless,
  noroute: (s) =>
    s
      .replace(
        /COALESCE\(s\.id, c\.id\) AS endpoint_id,[\s\S]*?END, false\) AS enabled,/,
        'c.id AS endpoint_id, c.disabled_at IS NULL AS enabled,',
      )
      .replace(/LEFT JOIN endpoints s ON s\.slot = p\.type AND s\.removed_at IS NULL\s*/, ''),
};

/** Completion variants: edits of `completeSql` (`?` placeholders). */
const completeVariants: Record<string, Edit> = {
  full: (s) => s,
  norollups: (s) => s.replace(/\), outcomes AS \([\s\S]*?\), settled AS \(/, '), settled AS ('),
  nosettled: (s) => s.replace(/\), settled AS \([\s\S]*?\n\)\n/, ')\n'),
  nonextval: (s) => s.replace("nextval('attempts_id_seq')", 'd.id'),
  // Nothing but the fenced UPDATE of the rows, its values constants: the floor of the statement.
  bare: () => `WITH r AS (SELECT ?::json AS j)
UPDATE deliveries d SET status = 'succeeded', attempts = d.attempts + 1, next_attempt_at = NULL,
  lease_owner = NULL, lease_expires_at = NULL, last_status = 204, last_error = NULL, updated_at = 1,
  success_attempt_id = nextval('attempts_id_seq'), success_at = 1, success_duration_ms = 3,
  success_excerpt = '', success_worker = 'bench#1'
WHERE d.id = ANY(?::bigint[]) AND (d.status || '') = 'pending' AND d.lease_owner = 'bench#1'`,
};

/** `sql` with its parameters numbered; `names` in order for the fan-out's named parameters. */
function build(sql: string): { text: string; names: readonly string[] } {
  const { sql: placeholders, names } = namedStatement(
    sql.replace('/*on conflict*/', '').replace('${commitWithoutFlush}', 'true'),
  );
  let n = 0;
  const text = placeholders.replace(/\?/g, () => `$${++n}`);
  if (text.includes('${')) throw new Error(`a part left unreplaced: ${text.slice(text.indexOf('${'), 80)}`);
  return { text, names };
}

const variants = statement === 'fanout' ? fanOutVariants : completeVariants;
const template =
  statement === 'fanout' ? fanOutTemplates.capped : templateOf('completeStatement.ts', 'completeSql');
const [nameA, nameB] = (process.env.PAIR ?? `full,${Object.keys(variants)[1]}`).split(',') as [
  string,
  string,
];
if (!variants[nameA] || !variants[nameB] || nameA === nameB)
  throw new Error(`PAIR names two different variants of ${statement}: ${Object.keys(variants).join(', ')}`);
const texts = { [nameA]: build(variants[nameA](template)), [nameB]: build(variants[nameB](template)) };

/** A fresh schema of unsub's migrations: one endpoint for every type, `events` undispatched events. */
async function twin(sql?: string): Promise<{ schema: string; store: Store; client: pg.Client; pid: number }> {
  const { schema, store } = await benchSchemaStore(url, 'bench_pair');
  for (let start = 0; start < events; start += 1_000) {
    await store.appendEvents(
      Array.from({ length: 1_000 }, (_, i) =>
        outboxEvent(
          { event: 'message sent', to: `user${start + i}@example.com`, message_uid: `m${start + i}` },
          keyed ? { orderingKey: start + i } : {},
        ),
      ),
      Date.now(),
    );
  }
  // Commits without waiting for the WAL flush, like the worker's completions: a flush is I/O
  // wait that would swamp the statements' difference.
  const client = new pg.Client({
    connectionString: url,
    options: `-c search_path="${schema}" -c synchronous_commit=off`,
  });
  await client.connect();
  if (sql) await client.query(sql);
  await client.query('VACUUM ANALYZE outbox');
  const pid = Number((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
  return { schema, store, client, pid };
}

/** One page on `side` with variant `name`; answers the events done and the measured statement's ms. */
async function pageOf(
  side: Awaited<ReturnType<typeof twin>>,
  name: string,
  page: number,
): Promise<[number, number]> {
  const { text, names } = texts[name]!;
  const at = Date.now();
  if (statement === 'fanout') {
    const values: Record<string, unknown> = {
      pageSize: page,
      commonSlot: '*',
      perEndpoint: 10_000,
      heldIds: '{}',
      heldCounts: '{}',
      leaseLimit: page,
      at,
      webhookIds: `{${newWebhookIds(page).join(',')}}`,
      owner: 'bench#1',
      leaseUntil: at + 60_000,
      leasing: 1,
    };
    const started = process.hrtime.bigint();
    const { rows } = await side.client.query({
      name: `pair_${name}`,
      text,
      values: names.map((n) => values[n] ?? null),
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const ids = rows.flatMap((row: { delivery_id: string | null }) =>
      row.delivery_id === null ? [] : [row.delivery_id],
    );
    await side.client.query(
      `UPDATE deliveries SET status = 'succeeded', lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = NULL
       WHERE id = ANY($1::bigint[])`,
      [ids],
    );
    return [rows.length, ms];
  }
  const fanned = await side.store.fanOutPending(at, page, { owner: 'bench#1', leaseMs: 60_000, limit: page });
  const results = (fanned.claimed ?? []).map((delivery) => ({
    id: delivery.id,
    owner: 'bench#1',
    status: 204,
    at,
    attempt_at: at,
    duration_ms: 3,
    excerpt: '',
    hour: Math.floor(at / 3_600_000),
    bucket: 4,
  }));
  const started = process.hrtime.bigint();
  await side.client.query({
    name: `pair_${name}`,
    text,
    values: [JSON.stringify(results), `{${results.map((r) => r.id).join(',')}}`],
  });
  return [results.length, Number(process.hrtime.bigint() - started) / 1e6];
}

const totals = { [nameA]: 0, [nameB]: 0 };
/** The measured connection's backend CPU (ms), per variant, over the rounds. */
const cpu = { [nameA]: 0, [nameB]: 0 };
const counts = { [nameA]: 0, [nameB]: 0 };
for (let round = 1; round <= rounds; round++) {
  const a = await twin();
  // BENCH_PAIR_SQL_B: SQL run on the second variant's schema only (a schema change as the variant).
  const b = await twin(process.env.BENCH_PAIR_SQL_B);
  // A B B A …: neither always goes first after the other's page.
  for (let done = 0, turn = 0; done < events; turn++) {
    // Fresh statistics now and then, as autovacuum gives a production server (this machine runs
    // without it): the connections' cached plans are made again for the tables' sizes.
    if (turn % 40 === 39) for (const side of [a, b]) await side.client.query('ANALYZE outbox, deliveries');
    const order: [typeof a, string][] =
      turn % 2 === 0
        ? [
            [a, nameA],
            [b, nameB],
          ]
        : [
            [b, nameB],
            [a, nameA],
          ];
    let took = Number.POSITIVE_INFINITY;
    for (const [side, name] of order) {
      const cpuBefore = processCpuMs(side.pid);
      // Sides with pages of different sizes take turns of the same number of events.
      const size = side === a ? pageA : pageB;
      let n = 0;
      let ms = 0;
      for (let k = 0; k < Math.max(pageA, pageB) / size; k++) {
        const [pn, pms] = await pageOf(side, name, size);
        n += pn;
        ms += pms;
      }
      cpu[name]! += processCpuMs(side.pid) - cpuBefore;
      totals[name]! += ms;
      took = Math.min(took, n);
      counts[name]! += n;
    }
    if (took === 0) throw new Error(`a page came back empty after ${done} events`);
    done += took;
  }
  for (const side of [a, b]) {
    await side.client.end();
    await side.store.close();
    await dropSchema(url, side.schema);
  }
  const per = (name: string) => ((totals[name]! * 1000) / counts[name]!).toFixed(1);
  process.stdout.write(
    `${statement} round ${round}: ${nameA} ${per(nameA)} µs/event, ${nameB} ${per(nameB)} µs/event, ratio ${(
      totals[nameB]! /
      counts[nameB]! /
      (totals[nameA]! / counts[nameA]!)
    ).toFixed(3)}; backend CPU ${nameA} ${((cpu[nameA]! * 1000) / counts[nameA]!).toFixed(1)}, ${nameB} ${(
      (cpu[nameB]! * 1000) /
      counts[nameB]!
    ).toFixed(1)} µs/event\n`,
  );
}
