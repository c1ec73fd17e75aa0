/**
 * @module `npm run bench:render-http`: the templates API against in-process floors, same machine,
 * same run.
 *
 * - `http_batch_ratio`: recipients/s through `POST /api/templates/:id/render` (NDJSON batches of
 *   10,000 lines of examples/recipients.ndjson, examples/newsletter.hbs with a subject; each answer
 *   line carries subject, HTML, generated text, headers and links) ÷ recipients/s of the same work
 *   in process: `renderMessage` of the same compiled message template (subject, HTML and text, the
 *   links shared between them) for the same recipients, on one thread. What the route adds is the
 *   HTTP: reading and parsing the lines, JSON answers, streaming. The route may spread that over
 *   render threads (the ratio is end-to-end recipients/s), so `http_batch_cpu_ratio` (the floor's
 *   CPU per recipient ÷ the server's, every thread counted) is printed beside it. Target ≥ 0.5.
 *   `render_html_floor_per_s` (the engine's `render` of the HTML part alone, the floor before
 *   2026-12) is printed for comparison only.
 * - `http_single_ratio`: requests/s of single `POST /api/render` (the same template by id, one
 *   recipient) ÷ a bare Express JSON route (express.json, a small JSON answer) on Express's default
 *   server. Target ≥ 0.5. Ours is served by `createAppServer`, as `unsub serve` serves it;
 *   `http_single_same_server_ratio` divides by the bare route served the same way.
 * - `batch_100k_rss_growth_mb`: the server's RSS growth (peak − before) during one batch of 100,000
 *   recipients; the bound is ~100 MB.
 *
 * The clients run in child processes (they must not share the server's event loop). Floor and ours
 * alternate over rounds; figures are medians. The last line is one JSON object with every figure.
 * Knobs: BENCH_ROUNDS (5), BENCH_SECONDS (2), BENCH_CONCURRENCY (32), BENCH_BATCH (10000),
 * BENCH_RENDER_THREADS (the route's render threads; default the router's own, one per core, at most 4),
 * BENCH_VERBOSE (a line per batch: rate, the server's cores and its request thread's, the client's
 * cores, the machine's idle share),
 * BENCH_CLIENT_PROF (the batch client writes a V8 CPU profile into /tmp/prof/c).
 *
 * The batch client shares the machine's two cores with the server: it reads about 25 KB of answer
 * per recipient. It is one long-lived process, warmed up with the server; a client started cold for
 * every batch took 0.85 of a core (JIT, undici's first connection) and left the server one core.
 * The client's cores and the machine's idle share are printed (`batch_client_cores`,
 * `batch_machine_idle`), so a run starved by other load shows it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import { createApp, createAppServer } from '../src/http/index.js';
import { renderThreads, templatesApiRouter } from '../src/http/templatesApi/index.js';
import { KeyRing } from '../src/links/index.js';
import { compileMessage, createMessageTemplates, renderMessage } from '../src/messageTemplates/index.js';
import { openStore } from '../src/store/index.js';
import { createSubscriptions } from '../src/subscriptions/index.js';
import { compile, parseGroupCatalog, render, type Recipient } from '../src/template/index.js';
import type { LoadJob, LoadResult } from './httpLoadGenerator.js';
import type { BatchJob, BatchResult } from './renderHttpClient.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const durationMs = Number(process.env.BENCH_SECONDS ?? 2) * 1000;
const batchLines = Number(process.env.BENCH_BATCH ?? 10_000);
/** BENCH_RENDER_THREADS: the route's render threads (default: the router's own, as `unsub serve`). */
const renderThreadCount =
  process.env.BENCH_RENDER_THREADS === undefined ? undefined : Number(process.env.BENCH_RENDER_THREADS);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const example = (name: string) => readFileSync(path.join(root, 'examples', name), 'utf8');
const dir = mkdtempSync(path.join(os.tmpdir(), 'unsub-bench-render-http-'));
const token = 'bench-admin-token-0123456789abcdef';

// --- the server: the app with the templates API over a SQLite file ---------------------------------
const store = await openStore({ sqlitePath: path.join(dir, 'unsub.db') });
const subscriptions = createSubscriptions({ store });
const catalog = parseGroupCatalog(JSON.parse(example('groups.json')));
for (const group of catalog) {
  await subscriptions.createGroup({ name: group.name, systemName: group.systemName, channel: group.channel });
}
const keyRing = KeyRing.generate();
const baseUrl = 'https://unsub.example.com';
const messageTemplates = createMessageTemplates({ store });
const newsletter = example('newsletter.hbs');
const subject = 'Northwind Weekly for {{first_name}} — {{issue_date}}';
const saved = await messageTemplates.create({ name: 'Northwind Weekly', subject, html: newsletter });
const renderer =
  renderThreadCount === undefined ? undefined : renderThreads({ threads: renderThreadCount, keyRing });
const ours = createApp({
  store,
  subscriptions,
  keyRing,
  baseUrl,
  logger: { error: console.error, warn: console.warn },
  mount: (app) =>
    app.use(
      '/api',
      templatesApiRouter({
        store,
        messageTemplates,
        keyRing,
        baseUrl,
        adminToken: token,
        ...(renderer === undefined ? {} : { renderer }),
      }),
    ),
});
const bare = express();
bare.post('/render', express.json(), (req, res) => {
  res.json({
    ok: true,
    contactId: (req.body as { recipient?: { contactId?: number } }).recipient?.contactId,
  });
});

async function listen(app: Express | Server): Promise<{ server: Server; origin: string }> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
// `ours.listen` is createApp's: a createAppServer server, as `unsub serve` runs it. The bare route is
// measured on Express's default server (the floor of `http_single_ratio`) and on createAppServer
// (`http_single_same_server_ratio`: what the route itself costs beside a bare one, same server).
const oursServer = await listen(ours);
const bareServer = await listen(bare);
const bareSameServer = await listen(createAppServer(bare));

/** Runs a bench client script in a child process with a JSON job; resolves with its last line. */
function runChild<T>(script: string, job: unknown): Promise<T> {
  const file = path.join(dir, `job-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(job));
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), path.join(here, script), file],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop() as string) as T);
    });
  });
}

// --- the batch floor: the engine's render in process, same recipients -----------------------------
const examples = example('recipients.ndjson')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Recipient);
const recipients = Array.from({ length: batchLines }, (_, i) => ({
  ...examples[i % examples.length]!,
  contactId: i + 1,
}));
const compiled = compile(newsletter, { groups: catalog });
if (!compiled.ok) throw new Error('examples/newsletter.hbs does not compile');
const template = compiled.template;
// The route's work per recipient, in process: the stored template's parts compiled the same way.
const compiledMessage = compileMessage({ channel: 'email', subject, html: newsletter, text: null }, catalog);
if (!compiledMessage.ok || compiledMessage.message.textSource !== 'generated')
  throw new Error('the newsletter message template does not compile with a generated text part');
const message = compiledMessage.message;
let sink = 0;
/** CPU seconds of this process (the server's, every thread) since `from`. */
const cpuSince = (from: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e6;
};
let floorCpuSeconds = 0;
/** Recipients/s of the in-process message render (wall time, like the HTTP side). */
function floorBatch(): number {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (const recipient of recipients) {
    const rendered = renderMessage(message, recipient, { keyRing, baseUrl, now: Date.now });
    sink += rendered.html!.length + rendered.text.length;
  }
  const rate = batchLines / ((performance.now() - started) / 1000);
  floorCpuSeconds = cpuSince(cpu);
  return rate;
}
/** Recipients/s of the engine's render of the HTML part alone (for comparison with older runs). */
function htmlFloorBatch(): number {
  const started = performance.now();
  for (const recipient of recipients)
    sink += render(template, recipient, undefined, { keyRing, baseUrl }).html.length;
  return batchLines / ((performance.now() - started) / 1000);
}

/** CPU seconds of this process's main thread (the request's thread) so far, from /proc (Linux). */
function requestThreadSeconds(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return Number.NaN;
  }
}
/** The machine's CPU times from /proc/stat (total and idle jiffies). */
function machineTimes(): { total: number; idle: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { total: fields.reduce((a, b) => a + b, 0), idle: (fields[3] ?? 0) + (fields[4] ?? 0) };
}
/** The share of the machine's CPU time that was idle since `from`. */
function idleSince(from: { total: number; idle: number }): number {
  const now = machineTimes();
  return (now.idle - from.idle) / Math.max(1, now.total - from.total);
}
/**
 * The batch client: one child process for every batch, fed jobs on stdin, so that from its warm-up
 * batch on it runs warm (a child started per batch spent most of a 10,000-line batch compiling
 * undici and its own loop, CPU taken from the server on a 2-core machine).
 */
const batchClient = spawn(
  process.execPath,
  [
    ...(process.env.BENCH_CLIENT_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof/c'] : []),
    '--import',
    import.meta.resolve('tsx'),
    path.join(here, 'renderHttpClient.ts'),
    '--jobs',
  ],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
const batchReplies = createInterface({ input: batchClient.stdout! })[Symbol.asyncIterator]();
async function runBatchClient(job: BatchJob): Promise<BatchResult> {
  batchClient.stdin!.write(`${JSON.stringify(job)}\n`);
  const reply = await batchReplies.next();
  if (reply.done) throw new Error('the batch client stopped');
  const result = JSON.parse(reply.value) as BatchResult & { error?: string };
  if (result.error !== undefined) throw new Error(`batch client: ${result.error}`);
  return result;
}

/** Recipients/s of one HTTP batch, and the server's CPU seconds for it. */
async function httpBatch(
  lines = batchLines,
): Promise<
  BatchResult & { cpuSeconds: number; clientCpuSeconds: number; requestThreadSeconds: number; idle: number }
> {
  const job: BatchJob = { origin: oursServer.origin, token, templateId: saved.id, lines };
  const cpu = process.cpuUsage();
  const machine = machineTimes();
  const requestThread = requestThreadSeconds();
  const client = await runBatchClient(job);
  const result = {
    ...client,
    clientCpuSeconds: client.cpuSeconds,
    cpuSeconds: cpuSince(cpu),
    requestThreadSeconds: requestThreadSeconds() - requestThread,
    idle: idleSince(machine),
  };
  if (process.env.BENCH_VERBOSE)
    console.log(
      `batch ${lines}: ${(lines / result.seconds).toFixed(0)}/s server ${(result.cpuSeconds / result.seconds).toFixed(2)} cores (request thread ${(result.requestThreadSeconds / result.seconds).toFixed(2)}), client ${(result.clientCpuSeconds / result.seconds).toFixed(2)} cores, machine idle ${(result.idle * 100).toFixed(0)}%`,
    );
  if (result.summary.rendered !== lines || result.answered !== lines + 1)
    throw new Error(`batch: expected ${lines} rendered, got ${JSON.stringify(result)}`);
  return result;
}

// --- single renders: the load generator against ours and the bare route ---------------------------
const singleBody = JSON.stringify({ templateId: saved.id, recipient: examples[1] });
const singleJob = (origin: string, pathName: string, ms: number): LoadJob => ({
  origin,
  method: 'POST',
  paths: [pathName],
  body: singleBody,
  contentType: 'application/json',
  headers: { authorization: `Bearer ${token}` },
  concurrency,
  durationMs: ms,
  cycle: true,
});
const single = async (ms: number) => {
  const result = await runChild<LoadResult>(
    'httpLoadGenerator.ts',
    singleJob(oursServer.origin, '/api/render', ms),
  );
  if (result.errors > 0 || result.statuses['200'] !== result.count)
    throw new Error(`POST /api/render: ${JSON.stringify(result.statuses)}, ${result.errors} errors`);
  return result;
};
const singleFloor = (ms: number, origin = bareServer.origin) =>
  runChild<LoadResult>('httpLoadGenerator.ts', singleJob(origin, '/render', ms));

// Warm-up (JIT, the compiled-template cache, connections): not measured.
floorBatch();
htmlFloorBatch();
// Two batches: the first starts the render threads, the second runs the client and the threads warm.
await httpBatch(2000);
await httpBatch();
await singleFloor(1000);
await singleFloor(1000, bareSameServer.origin);
await single(1000);

const batchRatios: number[] = [];
const batchCpuRatios: number[] = [];
const floorCpuUs: number[] = [];
const batchCpuUs: number[] = [];
const clientCores: number[] = [];
const machineIdle: number[] = [];
const loadBefore = os.loadavg()[0]!;
const batchRates: number[] = [];
const floorRates: number[] = [];
const htmlFloorRates: number[] = [];
const singleRatios: number[] = [];
const singleRates: number[] = [];
const bareRates: number[] = [];
const sameServerRatios: number[] = [];
for (let round = 0; round < rounds; round++) {
  htmlFloorRates.push(htmlFloorBatch());
  const floor = floorBatch();
  const batch = await httpBatch();
  const rate = batchLines / batch.seconds;
  floorRates.push(floor);
  batchRates.push(rate);
  batchRatios.push(rate / floor);
  // CPU time per recipient, which other load on a shared machine disturbs far less than wall time.
  batchCpuRatios.push(floorCpuSeconds / batch.cpuSeconds);
  floorCpuUs.push((floorCpuSeconds / batchLines) * 1e6);
  batchCpuUs.push((batch.cpuSeconds / batchLines) * 1e6);
  clientCores.push(batch.clientCpuSeconds / batch.seconds);
  machineIdle.push(batch.idle);
  const bareResult = await singleFloor(durationMs);
  const sameServerResult = await singleFloor(durationMs, bareSameServer.origin);
  const oursResult = await single(durationMs);
  bareRates.push(bareResult.rps);
  singleRates.push(oursResult.rps);
  singleRatios.push(oursResult.rps / bareResult.rps);
  sameServerRatios.push(oursResult.rps / sameServerResult.rps);
}

// --- memory: one batch of 100,000 recipients, the server's RSS sampled meanwhile ------------------
global.gc?.();
const rssBefore = process.memoryUsage().rss;
let rssPeak = rssBefore;
const sampler = setInterval(() => {
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
}, 20);
const big = await httpBatch(100_000);
clearInterval(sampler);
rssPeak = Math.max(rssPeak, process.memoryUsage().rss);

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const round3 = (n: number) => Math.round(n * 1000) / 1000;
const format = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(
  `${rounds} rounds, medians; SQLite file store; batches of ${format(batchLines)} lines; single renders at concurrency ${concurrency}; ` +
    `${os.availableParallelism()} cores, load average ${loadBefore.toFixed(1)} → ${os.loadavg()[0]!.toFixed(1)}`,
);
console.log(
  `batch:  ${format(median(batchRates))} recipients/s over HTTP (subject, HTML, text, headers, links) vs ` +
    `${format(median(floorRates))}/s in-process renderMessage (HTML part alone: ${format(median(htmlFloorRates))}/s) → ratio ${round3(median(batchRatios))} ` +
    `(CPU per recipient: ${median(floorCpuUs).toFixed(0)} µs in process, ${median(batchCpuUs).toFixed(0)} µs in the server, every thread → ratio ${round3(median(batchCpuRatios))})`,
);
console.log(
  `single: ${format(median(singleRates))} req/s POST /api/render vs ${format(median(bareRates))} req/s bare Express JSON → ratio ${round3(median(singleRatios))}`,
);
console.log(
  `memory: 100,000 recipients in one request in ${big.seconds.toFixed(1)} s; server RSS ${format(rssBefore / 1048576)} MB → peak ${format(rssPeak / 1048576)} MB`,
);
if (sink === 0) console.log('');
const result = {
  http_batch_ratio: round3(median(batchRatios)),
  http_single_ratio: round3(median(singleRatios)),
  http_single_same_server_ratio: round3(median(sameServerRatios)),
  http_batch_cpu_ratio: round3(median(batchCpuRatios)),
  floor_cpu_us_per_recipient: Math.round(median(floorCpuUs)),
  server_cpu_us_per_recipient: Math.round(median(batchCpuUs)),
  batch_recipients_per_s: Math.round(median(batchRates)),
  render_floor_per_s: Math.round(median(floorRates)),
  render_html_floor_per_s: Math.round(median(htmlFloorRates)),
  single_rps: Math.round(median(singleRates)),
  bare_json_rps: Math.round(median(bareRates)),
  batch_client_cores: round3(median(clientCores)),
  batch_machine_idle: round3(median(machineIdle)),
  batch_100k_rss_growth_mb: Math.round((rssPeak - rssBefore) / 1048576),
  rounds,
  load_average: [round3(loadBefore), round3(os.loadavg()[0]!)],
};
for (const { server } of [oursServer, bareServer, bareSameServer]) {
  server.close();
  server.closeAllConnections();
}
batchClient.stdin!.end();
await renderer?.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(result));
