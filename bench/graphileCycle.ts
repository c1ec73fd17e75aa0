/**
 * @module `pg_vs_graphile` of `npm run bench:dispatch`: unsub's store-only dispatch cycle on
 * PostgreSQL (fan-out + claim + completion; a sender that answers at once, no HTTP) against
 * graphile-worker 0.17 running as many no-op jobs on the same database (its own schema), at the
 * same concurrency, with its batching on (`localQueue`, batched completions).
 *
 * Each round first stores the work (untimed, nothing running: events in unsub's outbox, jobs in
 * graphile-worker's queue with `addJobs`), then starts the runner and takes the time until the
 * last completion has committed: unsub's `completeAttempts` resolves after its COMMIT;
 * graphile-worker completes in batches after the task resolved, so its end is when its job table
 * is empty. The two alternate over rounds (untimed warm-up first); the ratio is the median of the
 * per-round ratios. CPU per event (this process plus the server backends of its connections) is
 * printed beside it, as wall rates on a shared machine are noisy.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Logger, makeWorkerUtils, run, runMigrations, type RunnerOptions } from 'graphile-worker';
import { postgresTraffic } from '../src/store/postgres/openPostgresExecutor.js';
import { openStore, outboxEvent } from '../src/store/index.js';
import { createDispatcher, generateSecret, type WebhookSender } from '../src/webhooks/index.js';
import { countingRecords } from './countingRecords.js';
import { backendCpu, cpuBetween, withApplicationName } from './processCpu.js';

/** Options of {@link storeCycleComparison}. */
export interface StoreCycleOptions {
  url: string;
  /** Deliveries (unsub) and jobs (graphile-worker) in flight at once. */
  concurrency: number;
  /** Events (and jobs) per round (default `BENCH_CYCLE_EVENTS` or 10,000). */
  events?: number;
  /** Timed rounds of each (default `BENCH_CYCLE_ROUNDS` or 3). */
  rounds?: number;
}

/** What {@link storeCycleComparison} measured (rates are medians; CPU in µs per event or job). */
export interface StoreCycleResult {
  ratio: number;
  oursPerSecond: number;
  graphilePerSecond: number;
  oursCpuUs: number;
  graphileCpuUs: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const payload = (n: number) => ({
  event: 'mailing group unsubscribe',
  email: `user${n}@example.com`,
  group_id: 4,
  channel: 'email',
});

/** A sender that answers 204 at once: the cycle measures the store, not HTTP. */
export const instantSender: WebhookSender = {
  send: () => Promise.resolve({ status: 204, durationMs: 0, responseExcerpt: '' }),
  close: () => Promise.resolve(),
};

/**
 * A store on a fresh schema named `<prefix>_<random>` (its connections named after it, for
 * `backendCpu`) with one endpoint for every event type: what each PostgreSQL bench starts from.
 */
export async function benchSchemaStore(url: string, prefix: string) {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  const databaseUrl = withApplicationName(url, schema);
  const store = await openStore({ databaseUrl, schema });
  const endpoint = await store.putEndpoint({
    eventType: null,
    url: 'http://127.0.0.1:9/hook',
    secret: generateSecret(),
    at: Date.now(),
  });
  return { schema, databaseUrl, store, endpoint };
}

/**
 * unsub's store for the cycle (here and in `cycleProfile.ts`): a schema of its own with one
 * endpoint for every event type, a dispatcher over it with the instant sender, and a count of the
 * completions that have committed.
 */
export async function openCycleStore(url: string, concurrency: number) {
  const { schema, store } = await benchSchemaStore(url, 'bench_cycle');
  const { counting, recorded, untilRecorded } = countingRecords(store);
  return {
    schema,
    store,
    /** A dispatcher (not started) over the counting store. */
    dispatcher: () =>
      createDispatcher({
        store: counting,
        sender: instantSender,
        concurrency,
        perEndpointConcurrency: concurrency,
        pollMs: 50,
        ...(process.env.BENCH_FANOUTS ? { fanOutsInFlight: Number(process.env.BENCH_FANOUTS) } : {}),
      }),
    /** Resolves once `count` completions more than so far have committed. */
    completions: (count: number) => untilRecorded(recorded() + count).then(() => undefined),
  };
}

/** One timed round: wall ms and CPU ms (this process + the named server backends). */
export interface Took {
  ms: number;
  cpuMs: number;
  serverCpuMs: number;
  /** unsub only: statements and transactions its executor sent. */
  statements?: number;
  transactions?: number;
}

/** Measures `body` (which resolves when the round's work is done). */
export async function timed(cpu: ReturnType<typeof backendCpu>, body: () => Promise<void>): Promise<Took> {
  const serverBefore = await cpu.read();
  const own = process.cpuUsage();
  const started = performance.now();
  await body();
  const ms = performance.now() - started;
  const used = process.cpuUsage(own);
  const server = cpuBetween(serverBefore, await cpu.read());
  return { ms, cpuMs: (used.user + used.system) / 1000 + server, serverCpuMs: server };
}

/** unsub's side: an in-process dispatcher on its own schema, started after the events are stored. */
async function unsubSide(url: string, concurrency: number) {
  const { schema, store, dispatcher: newDispatcher, completions } = await openCycleStore(url, concurrency);
  const cpu = backendCpu(url, schema);
  let offset = 0;
  return {
    async round(events: number): Promise<Took> {
      for (let start = 0; start < events; start += 1_000) {
        const count = Math.min(1_000, events - start);
        await store.appendEvents(
          Array.from({ length: count }, (_, i) => outboxEvent(payload(offset + start + i))),
          Date.now(),
        );
      }
      offset += events;
      await vacuumSchema(url, schema);
      const dispatcher = newDispatcher();
      const traffic = { ...postgresTraffic };
      const took = await timed(cpu, async () => {
        const done = completions(events);
        dispatcher.start();
        await done;
      });
      await dispatcher.stop();
      return {
        ...took,
        statements: postgresTraffic.statements - traffic.statements,
        transactions: postgresTraffic.transactions - traffic.transactions,
      };
    },
    async close() {
      await store.close();
      await dropSchema(url, schema);
    },
  };
}

/** graphile-worker's side: no-op jobs in its own schema, its runner started after they are added. */
export async function graphileSide(url: string, concurrency: number) {
  const schema = `bench_graphile_${randomBytes(4).toString('hex')}`;
  const connectionString = withApplicationName(url, schema);
  const logger = new Logger(() => () => undefined);
  const options: RunnerOptions = {
    connectionString,
    schema,
    logger,
    concurrency,
    noHandleSignals: true,
    pollInterval: 50,
    taskList: { noop: () => Promise.resolve() },
    preset: {
      worker: {
        // Its batching, as its performance guide describes: jobs fetched (and locked) for the
        // whole pool per query, completions and failures committed in batches.
        localQueue: { size: 4 * concurrency },
        completeJobBatchDelay: 20,
        failJobBatchDelay: 20,
      },
    },
  };
  await runMigrations(options);
  const utils = await makeWorkerUtils({ connectionString, schema, logger });
  const cpu = backendCpu(url, schema);
  const counter = new pg.Client({ connectionString: url });
  await counter.connect();
  let offset = 0;
  return {
    async round(jobs: number): Promise<Took> {
      for (let start = 0; start < jobs; start += 1_000) {
        const count = Math.min(1_000, jobs - start);
        await utils.addJobs(
          Array.from({ length: count }, (_, i) => ({
            identifier: 'noop',
            payload: payload(offset + start + i),
          })),
        );
      }
      offset += jobs;
      await vacuumSchema(url, schema);
      let runner: Awaited<ReturnType<typeof run>> | undefined;
      const took = await timed(cpu, async () => {
        runner = await run(options);
        // Done when no job is left: completed jobs are deleted in their batched completion.
        for (;;) {
          await sleep(5);
          const { rows } = await counter.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM "${schema}"._private_jobs`,
          );
          if (rows[0]?.n === 0) break;
        }
      });
      await runner?.stop();
      return took;
    },
    async close() {
      await utils.release();
      await counter.end();
      await dropSchema(url, schema);
    },
  };
}

/**
 * `VACUUM (ANALYZE)` of every table of `schema`, untimed before a round: what a production
 * server's autovacuum does between bursts, which these machines' server runs without. Without it a
 * store's pooled connections kept the generic plans they made when its tables were empty: the
 * completion's look-up of its deliveries by id stayed a sequential scan of the whole table, which
 * grew every round (docs/postgres-dispatch.md, eighth round).
 */
export async function vacuumSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      'SELECT tablename AS name FROM pg_tables WHERE schemaname = $1',
      [schema],
    );
    const names = tables.rows.map((row) => `"${schema}"."${row.name}"`).join(', ');
    if (names !== '') await client.query(`VACUUM (ANALYZE) ${names}`);
  } finally {
    await client.end();
  }
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}

/** Runs the comparison; both sides' schemas are dropped afterwards. */
export async function storeCycleComparison(options: StoreCycleOptions): Promise<StoreCycleResult> {
  const events = options.events ?? Number(process.env.BENCH_CYCLE_EVENTS ?? 10_000);
  const rounds = options.rounds ?? Number(process.env.BENCH_CYCLE_ROUNDS ?? 3);
  const ours = await unsubSide(options.url, options.concurrency);
  const theirs = await graphileSide(options.url, options.concurrency);
  try {
    await ours.round(events); // warm-up (JIT, caches), untimed
    await theirs.round(events);
    const ratios: number[] = [];
    const oursRates: number[] = [];
    const theirRates: number[] = [];
    const oursCpu: number[] = [];
    const theirCpu: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so that a drift of the machine's load favours neither.
      const pair =
        round % 2 === 0
          ? [await ours.round(events), await theirs.round(events)]
          : [await theirs.round(events), await ours.round(events)].reverse();
      const [a, b] = pair as [Took, Took];
      const oursRate = events / (a.ms / 1000);
      const theirRate = events / (b.ms / 1000);
      oursRates.push(oursRate);
      theirRates.push(theirRate);
      ratios.push(oursRate / theirRate);
      oursCpu.push((a.cpuMs * 1000) / events);
      theirCpu.push((b.cpuMs * 1000) / events);
      process.stdout.write(
        `store-only cycle round ${round + 1}: unsub ${Math.round(oursRate)}/s (${Math.round(
          (a.cpuMs * 1000) / events,
        )} µs CPU/event, ${Math.round((a.serverCpuMs * 1000) / events)} of it the server's; ${(
          (a.statements ?? 0) / events
        ).toFixed(
          3,
        )} statements, ${((a.transactions ?? 0) / events).toFixed(3)} transactions per event) vs graphile-worker ${Math.round(theirRate)}/s (${Math.round(
          (b.cpuMs * 1000) / events,
        )} µs CPU/job, ${Math.round((b.serverCpuMs * 1000) / events)} the server's) → ${Math.round((oursRate / theirRate) * 1000) / 1000}\n`,
      );
    }
    return {
      ratio: median(ratios),
      oursPerSecond: median(oursRates),
      graphilePerSecond: median(theirRates),
      oursCpuUs: median(oursCpu),
      graphileCpuUs: median(theirCpu),
    };
  } finally {
    await ours.close();
    await theirs.close();
  }
}
