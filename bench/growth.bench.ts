/**
 * @module `npm run bench:growth`: costs that must not grow with history, on the embedded default
 * (SQLite, dispatch verbs on their own thread, as `unsub serve` runs them).
 *
 * 1. `history_ratio`: healthy-endpoint deliveries/s with an empty database, then with BENCH_HISTORY
 *    (2,000,000) final deliveries with their attempts and BENCH_PENDING (100,000) pending deliveries
 *    for an endpoint that hangs. Rounds alternate between two stores (empty / with history), each
 *    round BENCH_EVENTS events; the ratio is the median of the per-pair ratios (measured back to
 *    back, so slow drifts of other load on a shared machine cancel out). Target ≥ 0.9.
 * 2. `metrics_p99_ms`: `GET /metrics` over HTTP (the real route) on the store with that history,
 *    BENCH_SCRAPES sequential scrapes. Target ≤ 50.
 * 3. `size_growth`: a steady load (BENCH_RATE events/s to a healthy endpoint) for BENCH_STEADY_S
 *    seconds on a fresh file with the pruning job running and retention compressed to
 *    BENCH_RETENTION_DAYS (0.0001 days = 8.6 s); the file's mean size over the last third of the run
 *    against the middle third: (last − middle) / middle. Target ≤ 0.10.
 *
 * History is seeded straight into the store's tables (one INSERT … SELECT per table), not through
 * HTTP or the verbs: it is what a year of traffic leaves behind, and seeding it must not take a day.
 * The receiver is its own process (bench/dispatchReceiver.ts); the hanging endpoint accepts
 * connections and never answers. The last line is one JSON object.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import express from 'express';
import { Registry } from 'prom-client';
import { metricsRoutes } from '../src/http/webhooksApi/index.js';
import { openStore, outboxEvent } from '../src/store/index.js';
import { createDispatcher, createPruner, generateSecret, type Dispatcher } from '../src/webhooks/index.js';
import { countingRecords } from './countingRecords.js';

const history = Number(process.env.BENCH_HISTORY ?? 2_000_000);
const pendingCount = Number(process.env.BENCH_PENDING ?? 100_000);
const events = Number(process.env.BENCH_EVENTS ?? 3_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
const scrapes = Number(process.env.BENCH_SCRAPES ?? 300);
const steadySeconds = Number(process.env.BENCH_STEADY_S ?? 180);
const rate = Number(process.env.BENCH_RATE ?? 300);
const retentionDays = Number(process.env.BENCH_RETENTION_DAYS ?? 0.0001);
const concurrency = 64;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unsub-bench-growth-'));
const children: ChildProcess[] = [];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? 0;
const round3 = (n: number) => Math.round(n * 1000) / 1000;
const format = (n: number) => Math.round(n).toLocaleString('en-US');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => process.stdout.write(`${line}\n`);
const body = (n: number) => ({
  event: 'mailing group unsubscribe',
  email: `user${n}@example.com`,
  group_id: 4,
  group_name: 'News',
  channel: 'email',
});

// --- the receivers ------------------------------------------------------------------------------
const receiver = spawn(process.execPath, ['--import', 'tsx', 'bench/dispatchReceiver.ts'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
});
children.push(receiver);
const healthyPort = await new Promise<string>((resolve) => {
  receiver.stdout.setEncoding('utf8');
  receiver.stdout.once('data', (chunk: string) => resolve(chunk.trim()));
});
const healthy = `http://127.0.0.1:${healthyPort}/hook`;
const hanging = http.createServer(() => {
  // Never answers: the dispatcher's attempts time out.
});
await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
const hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hook`;

/** A fresh SQLite store with the healthy common endpoint and the hanging `message open` one. */
async function freshStore(
  name: string,
): Promise<{ file: string; ids: { healthy: number; hanging: number } }> {
  const file = path.join(dir, `${name}.db`);
  const store = await openStore({ sqlitePath: file });
  const common = await store.putEndpoint({
    eventType: null,
    url: healthy,
    secret: generateSecret(),
    at: Date.now(),
  });
  const open = await store.putEndpoint({
    eventType: 'message open',
    url: hangingUrl,
    secret: generateSecret(),
    at: Date.now(),
  });
  await store.close();
  return { file, ids: { healthy: common.id, hanging: open.id } };
}

/** Seeds history and pending work straight into the tables (one statement per table). */
function seed(file: string, ids: { healthy: number; hanging: number }): void {
  const db = new Database(file);
  const now = Date.now();
  const old = now - 10 * 86_400_000;
  const series = 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)';
  db.transaction(() => {
    db.prepare(
      `${series} INSERT INTO outbox (id, type, body, created_at, dispatched_at)
       SELECT i, 'mailing group unsubscribe',
         '{"event":"mailing group unsubscribe","email":"user' || i || '@example.com","group_id":4,"group_name":"News","channel":"email"}',
         ?, ? FROM n`,
    ).run(history, old, old);
    db.prepare(
      `INSERT INTO deliveries (id, event_id, endpoint_id, event_type, webhook_id, status, attempts, created_at, updated_at)
       SELECT id, id, ?, type, 'msg_seed' || id, 'succeeded', 1, created_at, created_at FROM outbox`,
    ).run(ids.healthy);
    db.prepare(
      `INSERT INTO attempts (delivery_id, at, status, duration_ms, error, response_excerpt, worker)
       SELECT id, created_at, 204, 3, NULL, '', 'seed' FROM deliveries`,
    ).run();
    db.prepare(
      `${series} INSERT INTO outbox (id, type, body, created_at, dispatched_at)
       SELECT ? + i, 'message open', '{"event":"message open","message_uid":"p' || i || '"}', ?, ? FROM n`,
    ).run(pendingCount, history, now - 3_600_000, now - 3_600_000);
    db.prepare(
      `INSERT INTO deliveries (event_id, endpoint_id, event_type, webhook_id, status, attempts, next_attempt_at, created_at, updated_at)
       SELECT id, ?, type, 'msg_pending' || id, 'pending', 0, ?, created_at, created_at FROM outbox WHERE id > ?`,
    ).run(ids.hanging, now, history);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('ANALYZE');
  db.close();
}

/** The store with a counter of committed successes, and a running dispatcher. */
async function running(file: string) {
  const store = await openStore({ sqlitePath: file, thread: true });
  const { counting, recorded, untilRecorded } = countingRecords(store);
  const newDispatcher = (): Dispatcher =>
    createDispatcher({ store: counting, allow: ['127.0.0.0/8'], concurrency, timeoutMs: 2_000, pollMs: 50 });
  let dispatcher = newDispatcher();
  dispatcher.start();
  let appended = 0;
  /**
   * Appends `count` healthy events and resolves with deliveries/s once all are recorded, and the
   * CPU ms per delivery this process spent meanwhile (all its threads).
   */
  const round = async (count: number) => {
    for (let start = 0; start < count; start += 1_000) {
      const batch = Array.from({ length: Math.min(1_000, count - start) }, (_, i) =>
        outboxEvent(body(appended + start + i)),
      );
      await store.appendEvents(batch, Date.now());
    }
    appended += count;
    const target = recorded() + count;
    const started = performance.now();
    const cpu = process.cpuUsage();
    const done = untilRecorded(target);
    dispatcher.wake();
    await done;
    const used = process.cpuUsage(cpu);
    return {
      rate: count / ((performance.now() - started) / 1000),
      cpuMs: (used.user + used.system) / 1000 / count,
    };
  };
  return {
    store,
    round,
    /** Stops the dispatcher (waits for attempts in flight), so it does nothing during the other store's round. */
    pause: () => dispatcher.stop(),
    resume: () => {
      dispatcher = newDispatcher();
      dispatcher.start();
    },
    stop: () => dispatcher.stop(),
  };
}

// --- 1. deliveries/s, empty vs history ----------------------------------------------------------
const emptyDb = await freshStore('empty');
const fullDb = await freshStore('history');
const started = performance.now();
seed(fullDb.file, fullDb.ids);
log(
  `seeded ${format(history)} final deliveries with attempts and ${format(pendingCount)} pending ` +
    `(hanging endpoint) in ${round3((performance.now() - started) / 1000)} s`,
);
const empty = await running(emptyDb.file);
const full = await running(fullDb.file);
// Warm-up (JIT) for both. Each store's dispatcher runs only during its own rounds: the history
// store's work on the hanging endpoint must not slow the empty store's rounds down.
await full.pause();
await empty.round(events);
await empty.pause();
full.resume();
await full.round(events);
const emptyRates: number[] = [];
const fullRates: number[] = [];
const ratios: number[] = [];
const cpuRatios: number[] = [];
for (let n = 0; n < rounds; n += 1) {
  // Alternating which goes first, so a drift of the machine's other load favours neither.
  const measure = async (which: 'empty' | 'full') => {
    const [on, off] = which === 'empty' ? [empty, full] : [full, empty];
    await off.pause();
    on.resume();
    return on.round(events);
  };
  const first = n % 2 === 0 ? 'full' : 'empty';
  const x = await measure(first);
  const y = await measure(first === 'full' ? 'empty' : 'full');
  const [a, b] = first === 'empty' ? [x, y] : [y, x];
  emptyRates.push(a.rate);
  fullRates.push(b.rate);
  ratios.push(b.rate / a.rate);
  cpuRatios.push(a.cpuMs / b.cpuMs);
  log(
    `round ${n + 1}: empty ${format(a.rate)}/s, with history ${format(b.rate)}/s → ${round3(b.rate / a.rate)} ` +
      `(CPU per delivery ${round3(a.cpuMs)} vs ${round3(b.cpuMs)} ms → ${round3(a.cpuMs / b.cpuMs)})`,
  );
}
await empty.stop();
await empty.store.close();

// --- 2. /metrics with that history --------------------------------------------------------------
await full.stop();
const app = express();
app.use(metricsRoutes({ registry: new Registry(), store: full.store }));
const metricsServer = http.createServer(app);
await new Promise<void>((resolve) => metricsServer.listen(0, '127.0.0.1', resolve));
const metricsUrl = `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics`;
const latencies: number[] = [];
let lastText = '';
for (let n = 0; n < scrapes + 20; n += 1) {
  const t = performance.now();
  const response = await fetch(metricsUrl);
  lastText = await response.text();
  if (n >= 20) latencies.push(performance.now() - t); // the first 20 warm up
}
metricsServer.close();
const pendingLine = /unsub_webhook_pending (\d+)/.exec(lastText)?.[1];
log(
  `/metrics with history: p50 ${round3(median(latencies))} ms, p99 ${round3(percentile(latencies, 0.99))} ms ` +
    `(unsub_webhook_pending ${pendingLine ?? '?'})`,
);
await full.store.close();

// --- 3. steady load with compressed retention ---------------------------------------------------
const steadyDb = await freshStore('steady');
const steady = await running(steadyDb.file);
const pruner = createPruner({ store: steady.store, retentionDays: () => retentionDays });
pruner.start();
const sizes: { at: number; bytes: number; wal: number }[] = [];
const fileSize = (name: string) => (fs.existsSync(name) ? fs.statSync(name).size : 0);
const steadyStarted = performance.now();
let sent = 0;
while (performance.now() - steadyStarted < steadySeconds * 1000) {
  const tick = performance.now();
  const due = Math.floor(((tick - steadyStarted) / 1000) * rate) - sent;
  if (due > 0) {
    await steady.store.appendEvents(
      Array.from({ length: due }, (_, i) => outboxEvent(body(sent + i))),
      Date.now(),
    );
    sent += due;
  }
  if (sizes.length === 0 || tick - (sizes.at(-1)?.at ?? 0) >= 1_000) {
    sizes.push({ at: tick, bytes: fileSize(steadyDb.file), wal: fileSize(`${steadyDb.file}-wal`) });
  }
  await sleep(100);
}
await pruner.stop();
await steady.stop();
await steady.store.close();
const third = Math.floor(sizes.length / 3);
const mean = (items: { bytes: number }[]) => items.reduce((sum, item) => sum + item.bytes, 0) / items.length;
const middle = mean(sizes.slice(third, 2 * third));
const last = mean(sizes.slice(2 * third));
const sizeGrowth = (last - middle) / middle;
log(
  `steady load ${rate}/s for ${steadySeconds} s, retention ${retentionDays} days: file ` +
    `${format(middle / 1024)} KB (middle third) → ${format(last / 1024)} KB (last third); ` +
    `WAL at the end ${format((sizes.at(-1)?.wal ?? 0) / 1024)} KB; ${format(sent)} events`,
);

hanging.closeAllConnections();
hanging.close();
receiver.kill('SIGTERM');
fs.rmSync(dir, { recursive: true, force: true });

const result = {
  history_ratio: round3(median(ratios)),
  history_cpu_ratio: round3(median(cpuRatios)),
  metrics_p99_ms: round3(percentile(latencies, 0.99)),
  size_growth: round3(sizeGrowth),
  empty_per_s: Math.round(median(emptyRates)),
  history_per_s: Math.round(median(fullRates)),
  metrics_p50_ms: round3(median(latencies)),
  history_rows: history,
  pending_rows: pendingCount,
  events_per_round: events,
  rounds,
  steady_seconds: steadySeconds,
  steady_rate: rate,
  retention_days: retentionDays,
};
log(JSON.stringify(result));
// Idle keep-alive sockets (the receivers', the scrapes') would hold the process open a while longer.
process.exit(0);
