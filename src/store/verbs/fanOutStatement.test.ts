/**
 * @module The PostgreSQL fan-out statement: its plan reads the outbox and the deliveries through
 * their indexes only, at a size where a join to the page once made PostgreSQL read the whole outbox
 * on every page; and it inserts deliveries without ON CONFLICT (nothing in unsub can make a
 * delivery of an undispatched event) — should something outside unsub do so anyway, an event's
 * `dispatched_at` reset by hand, the page is fanned out again with the conflict-tolerant text: no
 * error, no second delivery, the existing one left for a claim, the rest leased as usual.
 */
import pg from 'pg';
import { expect, test, type TestContext } from 'vitest';
import { postgresAvailable, postgresTestDatabase, postgresTestUrl } from '../../../test/support/databases.js';
import { openStore } from '../openStore.js';
import { outboxEvent } from '../outboxEvent.js';
import { openPostgresExecutor } from '../postgres/openPostgresExecutor.js';
import type { SqlExecutor, SqlRow } from '../sqlExecutor.js';
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
  const client = new pg.Client({
    connectionString: postgresTestUrl,
    options: `-c search_path="${options.schema}"`,
  });
  await client.connect();
  context.onTestFinished(() => client.end());
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
    expect(plans.length).toBeGreaterThan(0);
    const scanned = plans
      .flatMap(planNodes)
      .filter((node) => node['Node Type'] === 'Seq Scan')
      .map((node) => node['Relation Name']);
    expect(scanned.filter((table) => table === 'outbox' || table === 'deliveries')).toEqual([]);
  },
);
