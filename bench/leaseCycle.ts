/**
 * @module A measurement for the next data-model step of issue 12 (docs/postgres-dispatch.md, eighth
 * round, "The lease on the outbox row"): the store-only cycle — the real dispatcher, an instant
 * sender — over several ways of writing the rows, rounds interleaved, each on its own schema:
 * - `today`: the store as it is (every rule);
 * - `bare`: today's rows without the rules (the outbox row marked, a delivery inserted leased, then
 *   updated succeeded), so that the next line compares rows with rows;
 * - `lease`: the lease on the outbox row with the delivery's id taken from its sequence, and the
 *   delivery inserted once, final, by the completion (fenced by the lease's owner);
 * - `inflight`: the delivery's state kept in its event's row, its id the event's (eleventh round):
 *   the lease a HOT update of the row, still undispatched; the success marks it dispatched;
 * - `inflight-rules`: the same rows written by today's fan-out and completion turned to that model,
 *   every rule kept, with the indexes the eleventh round's plan puts on the outbox.
 * These replace `fanOutPending` and `completeAttempts` of the store with a statement each
 * (`modelStores.ts`), for unkeyed events to one endpoint only: a prototype for the measurement, not
 * the feature (no expiry sweep, no readers). And `graphile`: graphile-worker's no-op jobs as `pg_vs_graphile` runs them
 * (`graphileSide`), in the same rotation. Rounds append events in thousands (at least 1,000).
 *
 * `npx tsx bench/leaseCycle.ts`. Knobs: BENCH_CYCLE_EVENTS (10,000), BENCH_CYCLE_ROUNDS (3, after a
 * warm-up), BENCH_SIDES (comma-separated), UNSUB_TEST_DATABASE_URL. Prints per round and side:
 * events/s, CPU per event of this process and of the side's server backends.
 */
import pg from 'pg';
import { outboxEvent } from '../src/store/index.js';
import { createDispatcher } from '../src/webhooks/index.js';
import { countingRecords } from './countingRecords.js';
import {
  benchSchemaStore,
  dropSchema,
  graphileSide,
  instantSender,
  timed,
  vacuumSchema,
} from './graphileCycle.js';
import { modelStore, prepareModelSchema } from './modelStores.js';
import { backendCpu } from './processCpu.js';

const url = process.env.UNSUB_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const events = Number(process.env.BENCH_CYCLE_EVENTS ?? 10_000);
const rounds = Number(process.env.BENCH_CYCLE_ROUNDS ?? 3);
type Side = 'today' | 'bare' | 'lease' | 'inflight' | 'inflight-rules' | 'graphile';
const sides: Side[] = (process.env.BENCH_SIDES?.split(',') as Side[] | undefined) ?? [
  'today',
  'bare',
  'lease',
  'inflight',
  'inflight-rules',
  'graphile',
];

/** graphile-worker's no-op jobs, as `pg_vs_graphile` runs them, for the same table. */
async function openGraphile() {
  const side = await graphileSide(url, 64);
  return {
    side: 'graphile' as Side,
    async round() {
      const took = await side.round(events);
      return {
        perSecond: events / (took.ms / 1000),
        nodeUs: ((took.cpuMs - took.serverCpuMs) / events) * 1000,
        serverUs: (took.serverCpuMs / events) * 1000,
      };
    },
    close: () => side.close(),
  };
}

async function open(side: Side) {
  if (side === 'graphile') return openGraphile();
  const {
    schema,
    databaseUrl: named,
    store,
    endpoint,
  } = await benchSchemaStore(url, `bench_lease_${side.replace('-', '_')}`);
  const pool = new pg.Pool({ connectionString: named, options: `-c search_path="${schema}"`, max: 10 });
  if (side !== 'today') await prepareModelSchema(pool, side);
  const inner = side === 'today' ? store : modelStore(store, pool, endpoint, side);
  const { counting, recorded, untilRecorded } = countingRecords(inner);
  const cpu = backendCpu(url, schema);
  let offset = 0;
  return {
    side,
    async round(): Promise<{ perSecond: number; nodeUs: number; serverUs: number }> {
      for (let start = 0; start < events; start += 1_000) {
        await store.appendEvents(
          Array.from({ length: 1_000 }, (_, i) =>
            outboxEvent({
              event: 'mailing group unsubscribe',
              email: `u${offset + start + i}@example.com`,
              group_id: 4,
            }),
          ),
          Date.now(),
        );
      }
      offset += events;
      await vacuumSchema(url, schema);
      const dispatcher = createDispatcher({
        store: counting,
        sender: instantSender,
        concurrency: 64,
        perEndpointConcurrency: 64,
        pollMs: 50,
      });
      const took = await timed(cpu, async () => {
        const done = untilRecorded(recorded() + events);
        dispatcher.start();
        await done;
      });
      await dispatcher.stop();
      return {
        perSecond: events / (took.ms / 1000),
        nodeUs: ((took.cpuMs - took.serverCpuMs) / events) * 1000,
        serverUs: (took.serverCpuMs / events) * 1000,
      };
    },
    async close() {
      await pool.end();
      await store.close();
      await dropSchema(url, schema);
    },
  };
}

const opened = [];
for (const side of sides) opened.push(await open(side));
for (const each of opened) await each.round(); // warm-up
const totals = new Map<Side, { perSecond: number[]; nodeUs: number[]; serverUs: number[] }>(
  sides.map((side) => [side, { perSecond: [], nodeUs: [], serverUs: [] }]),
);
for (let round = 1; round <= rounds; round++) {
  const order = round % 2 === 0 ? [...opened].reverse() : opened;
  for (const each of order) {
    const took = await each.round();
    const entry = totals.get(each.side)!;
    entry.perSecond.push(took.perSecond);
    entry.nodeUs.push(took.nodeUs);
    entry.serverUs.push(took.serverUs);
    process.stdout.write(
      `round ${round} ${each.side}: ${Math.round(took.perSecond)}/s, node ${Math.round(took.nodeUs)} µs/event, server ${Math.round(took.serverUs)} µs/event\n`,
    );
  }
}
for (const each of opened) await each.close();
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
process.stdout.write(
  `${JSON.stringify(
    Object.fromEntries(
      [...totals].map(([side, t]) => [
        side,
        {
          per_s: Math.round(median(t.perSecond)),
          node_us: Math.round(median(t.nodeUs)),
          server_us: Math.round(median(t.serverUs)),
        },
      ]),
    ),
  )}\n`,
);
