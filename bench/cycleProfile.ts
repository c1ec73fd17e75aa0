/**
 * @module Profiling aid for `pg_vs_graphile`: unsub's store-only dispatch cycle alone (as in
 * `graphileCycle.ts`: fan-out, claim, completion, a sender that answers at once), so that
 * `node --cpu-prof` sees only the worker's side. Prints per event, for each round: CPU of this
 * process and of the server backends of its connections, and the WAL the server wrote — a figure
 * that, unlike CPU time on a shared machine, does not move with other load.
 *
 * `npx tsx bench/cycleProfile.ts`. Knobs: BENCH_CYCLE_EVENTS (10,000), BENCH_CYCLE_ROUNDS (4, after
 * an untimed warm-up), UNSUB_TEST_DATABASE_URL; BENCH_CYCLE_SQL, run on the fresh schema before
 * the rounds (an experiment: drop an index, set a fillfactor); BENCH_CYCLE_LSN=1 prints each
 * round's WAL range for `pg_waldump --stats=record`; BENCH_CYCLE_PERF=1 runs `perf record -g` on
 * the server backends during each round (`/tmp/unsub-cycle-perf.data`, Linux with perf).
 */
import { spawn } from 'node:child_process';
import pg from 'pg';
import { outboxEvent } from '../src/store/index.js';
import { dropSchema, openCycleStore } from './graphileCycle.js';
import { backendCpu, cpuBetween } from './processCpu.js';

const url = process.env.UNSUB_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const events = Number(process.env.BENCH_CYCLE_EVENTS ?? 10_000);
const rounds = Number(process.env.BENCH_CYCLE_ROUNDS ?? 4);
const { schema, store, dispatcher: newDispatcher, completions } = await openCycleStore(url, 64);
const cpu = backendCpu(url, schema);
const admin = new pg.Client({ connectionString: url });
await admin.connect();
// Experiments: SQL run on the schema before the rounds (e.g. dropping an index to see its cost).
if (process.env.BENCH_CYCLE_SQL)
  await admin.query(`SET search_path = "${schema}"; ${process.env.BENCH_CYCLE_SQL}`);
const walLsn = async () =>
  (await admin.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;
const walBytes = async (from: string) =>
  Number(
    (
      await admin.query<{ n: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::bigint AS n', [
        from,
      ])
    ).rows[0]!.n,
  );
/** Starts `perf record -g` on `pids`; the function returned stops it and waits for the file. */
function recordPerf(pids: number[]): () => Promise<void> {
  const child = spawn(
    'perf',
    ['record', '-e', 'cpu-clock', '-g', '-o', '/tmp/unsub-cycle-perf.data', '-p', pids.join(',')],
    { stdio: 'ignore' },
  );
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return async () => {
    child.kill('SIGINT');
    await closed;
  };
}
for (let round = 0; round <= rounds; round++) {
  for (let start = 0; start < events; start += 1_000) {
    await store.appendEvents(
      Array.from({ length: 1_000 }, (_, i) =>
        outboxEvent({
          event: 'mailing group unsubscribe',
          email: `user${start + i}@example.com`,
          group_id: 4,
          channel: 'email',
        }),
      ),
      Date.now(),
    );
  }
  const dispatcher = newDispatcher();
  const lsn = await walLsn();
  // `perf record` of the server backends serving the store's connections (BENCH_CYCLE_PERF).
  const pids = (
    await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
      schema,
    ])
  ).rows.map((row) => row.pid);
  const stopPerf = process.env.BENCH_CYCLE_PERF && pids.length > 0 ? recordPerf(pids) : undefined;
  const serverBefore = await cpu.read();
  const own = process.cpuUsage();
  const started = performance.now();
  const done = completions(events);
  dispatcher.start();
  await done;
  const ms = performance.now() - started;
  const used = process.cpuUsage(own);
  const server = cpuBetween(serverBefore, await cpu.read());
  await dispatcher.stop();
  const wal = await walBytes(lsn);
  await stopPerf?.();
  if (process.env.BENCH_CYCLE_LSN) process.stdout.write(`WAL ${lsn} .. ${await walLsn()}\n`);
  process.stdout.write(
    `round ${round}${round === 0 ? ' (warm-up)' : ''}: ${Math.round(events / (ms / 1000))}/s, node ${Math.round(
      (used.user + used.system) / events,
    )} µs/event, server ${Math.round((server * 1000) / events)} µs/event, WAL ${Math.round(wal / events)} B/event\n`,
  );
}
await store.close();
await admin.end();
await dropSchema(url, schema);
