/**
 * @module The PostgreSQL fan-out statement: its plan reads the outbox and the deliveries through
 * their indexes only, at a size where a join to the page once made PostgreSQL read the whole outbox
 * on every page; and it inserts deliveries without ON CONFLICT (nothing in unsub can make a
 * delivery of an undispatched event) — should something outside unsub do so anyway, an event's
 * `dispatched_at` reset by hand, the page is fanned out again with the conflict-tolerant text: no
 * error, no second delivery, the existing one left for a claim, the rest leased as usual.
 */
import { expect, test, type TestContext } from 'vitest';
import {
  postgresAvailable,
  postgresTestDatabase,
  postgresTestUrl,
  testPostgresClient,
} from '../../../test/support/databases.js';
import { openStore } from '../openStore.js';
import { outboxEvent } from '../outboxEvent.js';
import { openPostgresExecutor } from '../postgres/openPostgresExecutor.js';
import type { SqlExecutor, SqlRow } from '../sqlExecutor.js';
import type { FanOutResult } from '../types.js';
import { createFanOutStatement } from './fanOutStatement.js';

const available = await postgresAvailable('the fan-out statement check');
const secret = 'whsec_' + Buffer.alloc(24, 3).toString('base64');
const t0 = 1_700_000_000_000;

/** A store on a fresh schema with one endpoint for every event type, and a raw client on that schema. */
async function setUp(context: TestContext) {
  const options = await postgresTestDatabase(context);
  const store = await openStore(options);
  context.onTestFinished(() => store.close());
  await store.putEndpoint({ eventType: null, url: 'http://a.test/', secret, at: t0 });
  const client = await testPostgresClient(context, options.schema);
  return { schema: options.schema ?? 'public', store, client };
}

test.skipIf(!available)(
  'an event fanned out twice keeps its one delivery; the page goes on',
  async (context) => {
    const { store, client } = await setUp(context);
    await store.appendEvents([outboxEvent({ event: 'message sent', n: 1 })], t0);
    expect(await store.fanOutPending(t0, 10)).toMatchObject({ events: 1, deliveries: 1 });
    const [first] = await store.listDeliveries();

    // Someone resets the event by hand; a new one arrives.
    await client.query('UPDATE outbox SET dispatched_at = NULL');
    await store.appendEvents([outboxEvent({ event: 'message sent', n: 2 })], t0 + 1);

    const again = await store.fanOutPending(t0 + 2, 10, { owner: 'w#1', leaseMs: 60_000, limit: 10 });
    expect(again).toMatchObject({ events: 2, deliveries: 1 });
    expect(again.claimed?.map((delivery) => JSON.parse(delivery.body).n)).toEqual([2]);
    const deliveries = await store.listDeliveries();
    expect(deliveries).toHaveLength(2);
    expect(deliveries.find((delivery) => delivery.id === first?.id)).toMatchObject({
      webhookId: first?.webhookId,
      leaseOwner: null,
    });
    expect(
      (await client.query('SELECT count(*)::int AS n FROM outbox WHERE dispatched_at IS NULL')).rows,
    ).toEqual([{ n: 0 }]);
  },
);

/** Every node of a JSON plan (`EXPLAIN (FORMAT JSON)`), depth first. */
function planNodes(node: Record<string, unknown>): Record<string, unknown>[] {
  const children = (node.Plans as Record<string, unknown>[] | undefined) ?? [];
  return [node, ...children.flatMap(planNodes)];
}

test.skipIf(!available)(
  'the fan-out reads the outbox and the deliveries by index, never whole',
  async (context) => {
    const { schema, store, client } = await setUp(context);
    // An outbox of a few thousand rows, analysed: below some tens of thousands of rows a join of the
    // outbox to the page was planned as a hash join over a sequential scan of the whole table.
    for (let start = 0; start < 6_000; start += 1_000) {
      await store.appendEvents(
        Array.from({ length: 1_000 }, (_, i) => outboxEvent({ event: 'message sent', n: start + i })),
        t0,
      );
    }
    await store.fanOutPending(t0, 2_000);
    await client.query('ANALYZE outbox; ANALYZE deliveries');

    const executor = openPostgresExecutor({ url: postgresTestUrl, schema });
    context.onTestFinished(() => executor.close());
    const plans: Record<string, unknown>[] = [];
    const explaining: SqlExecutor = {
      ...executor,
      async all<T extends SqlRow>(sql: string, params?: readonly (string | number | null)[]): Promise<T[]> {
        const [row] = await executor.all<{ 'QUERY PLAN': { Plan: Record<string, unknown> }[] }>(
          `EXPLAIN (FORMAT JSON) ${sql}`,
          params,
        );
        plans.push(row?.['QUERY PLAN'][0]?.Plan ?? {});
        return executor.all<T>(sql, params);
      },
    };
    const fanOut = createFanOutStatement(explaining);
    const result = await fanOut(t0 + 1, 64, { owner: 'w#1', leaseMs: 60_000, limit: 64 });
    expect(result.claimed).toHaveLength(64);
    // The text with the caps too (a held endpoint leaves less room than the page).
    const capped = await fanOut(t0 + 1, 64, {
      owner: 'w#1',
      leaseMs: 60_000,
      limit: 64,
      inFlight: new Map([[999, 1]]),
    });
    expect(capped.claimed).toHaveLength(64);
    expect(plans.length).toBeGreaterThanOrEqual(2);
    const scanned = plans
      .flatMap(planNodes)
      .filter((node) => node['Node Type'] === 'Seq Scan')
      .map((node) => node['Relation Name']);
    expect(scanned.filter((table) => table === 'outbox' || table === 'deliveries')).toEqual([]);
  },
);

/**
 * A page of every kind of event: routed to the common endpoint or to its type's, to a disabled
 * endpoint; keyed, with a key repeated in the page and a key held back by an earlier
 * pending delivery.
 */
async function mixedPage(context: TestContext) {
  const { store, client } = await setUp(context);
  // The common endpoint (set up) takes `message sent`; `bounce` has its own; `open` a disabled one.
  await store.putEndpoint({ eventType: 'bounce', url: 'http://b.test/', secret, at: t0 });
  const opened = await store.putEndpoint({ eventType: 'open', url: 'http://c.test/', secret, at: t0 });
  await store.disableEndpoint(opened.id, { reason: 'test', at: t0 });
  // Key 7 has a pending delivery nobody holds: its later events wait behind it.
  await store.appendEvents([outboxEvent({ event: 'message sent', n: 0 }, { orderingKey: 7 })], t0);
  await store.fanOutPending(t0, 10);
  await store.appendEvents(
    [
      outboxEvent({ event: 'message sent', n: 1 }),
      outboxEvent({ event: 'bounce', n: 2 }),
      outboxEvent({ event: 'open', n: 3 }),
      outboxEvent({ event: 'message sent', n: 4 }, { orderingKey: 5 }),
      outboxEvent({ event: 'bounce', n: 5 }, { orderingKey: 5 }),
      outboxEvent({ event: 'message sent', n: 6 }, { orderingKey: 5 }),
      outboxEvent({ event: 'message sent', n: 7 }, { orderingKey: 7 }),
      outboxEvent({ event: 'bounce', n: 8 }),
    ],
    t0 + 1,
  );
  return { store, client };
}

/** What a fan-out did, without the ids and webhook ids that differ between two schemas. */
async function outcome(store: Awaited<ReturnType<typeof mixedPage>>['store'], result: FanOutResult) {
  const deliveries = await store.listDeliveries();
  return {
    events: result.events,
    deliveries: result.deliveries,
    held: result.held,
    claimed: result.claimed?.map((delivery) => [JSON.parse(delivery.body).n, delivery.url]),
    rows: deliveries.map((delivery) => [delivery.eventType, delivery.status, delivery.orderingKey]).reverse(),
  };
}

test.skipIf(!available)(
  'without the caps the fan-out takes and leases what it would with them, when they cannot bind',
  async (context) => {
    const claim = { owner: 'w#1', leaseMs: 60_000, limit: 100 };
    // Room for the whole page: the capless text.
    const capless = await mixedPage(context);
    const withoutCaps = await capless.store.fanOutPending(t0 + 2, 100, claim);
    // The same room, but a worker that holds 95 deliveries of an endpoint that is not in the page:
    // the caps could bind (95 + a page of 100 > 100), so the capped text runs, and binds nothing.
    const capped = await mixedPage(context);
    const withCaps = await capped.store.fanOutPending(t0 + 2, 100, {
      ...claim,
      inFlight: new Map([[999, 95]]),
    });
    expect(await outcome(capless.store, withoutCaps)).toEqual(await outcome(capped.store, withCaps));
    expect(await outcome(capless.store, withoutCaps)).toMatchObject({
      events: 8,
      held: 2,
      // The keyed events of key 5 go one per endpoint; key 7 waits behind its pending delivery.
      claimed: [
        [1, 'http://a.test/'],
        [2, 'http://b.test/'],
        [4, 'http://a.test/'],
        [5, 'http://b.test/'],
        [8, 'http://b.test/'],
      ],
    });
  },
);

test.skipIf(!available)('the caps still bind where the page is larger than the room', async (context) => {
  const { store } = await mixedPage(context);
  const result = await store.fanOutPending(t0 + 2, 100, {
    owner: 'w#1',
    leaseMs: 60_000,
    limit: 100,
    perEndpointLimit: 2,
    inFlight: new Map([[1, 1]]),
  });
  // The common endpoint (id 1) has room for one more; `bounce`'s for two (event 8 waits).
  expect(result.claimed?.map((delivery) => JSON.parse(delivery.body).n)).toEqual([1, 2, 5]);
});
