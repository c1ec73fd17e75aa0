/**
 * @module `npm run bench:stats`: p99 latency of each `/api/stats/…` route with 2,000,000 deliveries
 * stored, against the floor — `GET /healthz` (one trivial store query) measured in the same run on
 * the same server, so other load on a shared machine moves both.
 *
 * How the data is made: every row goes through the store's own verbs, as the dispatcher writes
 * them — `appendEvents` (chunks of 10,000), `fanOutPending`, `claimDeliveries`, `completeAttempts`
 * (one attempt per delivery: 90 % delivered, 7 % failed, 3 % retrying) — with times spread evenly
 * over the last 60 days (so the 48-hour window holds ~67,000 deliveries and attempts); 10,000
 * unsubscribes via `changeMemberships` spread over 30 days. Two endpoints share the deliveries.
 * The seeded file is kept between runs (BENCH_DIR) so a re-run measures at once.
 *
 * How it is measured: the real app (`createApp` + the admin router) on a loopback port; each route
 * is requested BENCH_SAMPLES times (default 200) one after another after 10 warm-up requests, and
 * the time from request to the last byte of the answer is recorded; p50/p99 by nearest rank.
 * The last line is one JSON object.
 *
 * Knobs: BENCH_DELIVERIES (2000000), BENCH_SAMPLES (200), BENCH_DIR (a temp dir, kept),
 * BENCH_DATABASE_URL (postgres://… to measure PostgreSQL instead of SQLite).
 */
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createAdminRouter } from '../src/http/admin/index.js';
import { createApp, createFailureThrottle } from '../src/http/index.js';
import { KeyRing } from '../src/links/index.js';
import { openStore, outboxEvent, type CompleteAttemptInput, type Store } from '../src/store/index.js';
import { createSubscriptions } from '../src/subscriptions/index.js';

const total = Number(process.env.BENCH_DELIVERIES ?? 2_000_000);
const samples = Number(process.env.BENCH_SAMPLES ?? 200);
const dir = process.env.BENCH_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'unsub-stats-bench-'));
const databaseUrl = process.env.BENCH_DATABASE_URL;
const chunk = 10_000;
const dayMs = 86_400_000;
const now = Date.now();
const start = now - 60 * dayMs;
const secret = 'whsec_' + Buffer.alloc(24, 7).toString('base64');
const token = 'bench-admin-token-0123456789abcdef';

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Seeds deliveries (and unsubscribes) through the store verbs until `total` deliveries exist. */
async function seed(store: Store): Promise<void> {
  const [{ pendingDeliveries }, existing] = [
    await store.backlogStats(),
    await store.listDeliveries({ limit: 1 }),
  ];
  const have = existing[0]?.id ?? 0;
  if (have >= total) {
    log(`reusing ${have} deliveries in ${dir} (${pendingDeliveries} pending)`);
    return;
  }
  if ((await store.listEndpoints()).length === 0) {
    await store.putEndpoint({ eventType: null, url: 'http://common.bench/', secret, at: start });
    await store.putEndpoint({ eventType: 'message sent', url: 'http://sent.bench/', secret, at: start });
  }
  const began = performance.now();
  for (let made = have; made < total; made += chunk) {
    const size = Math.min(chunk, total - made);
    const at = start + Math.floor((made / total) * (now - start));
    await store.appendEvents(
      Array.from({ length: size }, (_, n) =>
        outboxEvent({ event: n % 2 === 0 ? 'message sent' : 'message open', n: made + n }),
      ),
      at,
    );
    await store.fanOutPending(at, size);
    const claimed = await store.claimDeliveries({ owner: 'bench', now: at, leaseMs: 60_000, limit: size });
    const results: CompleteAttemptInput[] = claimed.map((delivery, n) => {
      const roll = (made + n) % 100;
      const outcome = roll < 90 ? 'succeeded' : roll < 97 ? 'failed' : 'pending';
      return {
        deliveryId: delivery.id,
        owner: delivery.leaseOwner ?? 'bench',
        outcome,
        nextAttemptAt: outcome === 'pending' ? now + dayMs : null,
        at: at + 50,
        attempt: {
          at: at + 1,
          status: outcome === 'succeeded' ? 204 : 500,
          durationMs: 20 + ((made + n) % 97) * 3,
          error: null,
          responseExcerpt: outcome === 'succeeded' ? '' : 'down',
        },
      };
    });
    await store.completeAttempts(results);
    if ((made / chunk) % 20 === 0) {
      log(`seeded ${made + size} deliveries (${Math.round((performance.now() - began) / 1000)} s)`);
    }
  }

  const subscriptions = createSubscriptions({ store, now: () => now });
  const groups: Awaited<ReturnType<typeof subscriptions.createGroup>>[] = [];
  for (let n = 0; n < 5; n += 1) {
    groups.push(
      await subscriptions.createGroup({ name: `Group ${n}`, systemName: `g${n}`, channel: 'email' }),
    );
  }
  const contacts = [];
  for (let n = 0; n < 1000; n += 1) {
    contacts.push(
      await subscriptions.createContact({
        email: `c${n}@bench.example`,
        groupIds: groups.map((group) => group.id),
      }),
    );
  }
  const sources = ['link', 'one-click', 'manager', 'api', 'import'];
  for (let round = 0; round < 10; round += 1) {
    await Promise.all(
      contacts.map((contact, n) => {
        const at = now - 30 * dayMs + Math.floor(((round * 1000 + n) / 10_000) * 30 * dayMs);
        const group = groups[(n + round) % groups.length]?.id ?? 0;
        return store
          .changeMemberships(
            {
              contactId: contact.id,
              channel: 'email',
              unsubscribe: [group],
              source: sources[n % 5] ?? 'api',
              at,
            },
            () => [],
          )
          .then(() =>
            store.changeMemberships(
              { contactId: contact.id, channel: 'email', subscribe: [group], source: 'api', at: at + 1 },
              () => [],
            ),
          );
      }),
    );
  }
  log(`seeded in ${Math.round((performance.now() - began) / 1000)} s`);
}

/** Times `count` sequential GETs of `url` (ms each). */
async function time(url: string, count: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const began = performance.now();
      http
        .get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (response) => {
          response.resume();
          response.on('end', () =>
            response.statusCode === 200
              ? resolve(performance.now() - began)
              : reject(new Error(`${url}: ${response.statusCode}`)),
          );
        })
        .on('error', reject);
    });
  for (let n = 0; n < 10; n += 1) await once();
  const times: number[] = [];
  for (let n = 0; n < count; n += 1) times.push(await once());
  agent.destroy();
  return times.sort((a, b) => a - b);
}

const quantile = (sorted: number[], q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0;
const round = (value: number) => Math.round(value * 100) / 100;

const store = await openStore(databaseUrl ? { databaseUrl } : { sqlitePath: path.join(dir, 'unsub.db') });
try {
  await seed(store);
  const subscriptions = createSubscriptions({ store });
  const app = createApp({
    store,
    subscriptions,
    keyRing: KeyRing.generate(),
    baseUrl: 'http://127.0.0.1',
    mount: (mounted) =>
      mounted.use(
        '/api',
        createAdminRouter({
          store,
          subscriptions,
          adminToken: token,
          throttle: createFailureThrottle({ limit: 1e9 }).middleware,
        }),
      ),
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const endpoints = await store.listEndpoints();
  const routes: Record<string, string> = {
    unsubscribes: '/api/stats/unsubscribes',
    deliveries: '/api/stats/deliveries',
    deliveries_endpoint: `/api/stats/deliveries?endpoint=${endpoints[1]?.id ?? 1}`,
    latency: '/api/stats/latency',
    backlog: '/api/stats/backlog',
    endpoints: '/api/stats/endpoints',
  };
  const floor = await time(`${base}/healthz`, samples);
  const floorP99 = quantile(floor, 0.99);
  log(`floor GET /healthz: p50 ${round(quantile(floor, 0.5))} ms, p99 ${round(floorP99)} ms`);
  const p99: Record<string, number> = {};
  const ratios: Record<string, number> = {};
  for (const [name, route] of Object.entries(routes)) {
    const times = await time(`${base}${route}`, samples);
    p99[name] = round(quantile(times, 0.99));
    ratios[name] = round(quantile(times, 0.99) / floorP99);
    log(`${route}: p50 ${round(quantile(times, 0.5))} ms, p99 ${p99[name]} ms (${ratios[name]}× the floor)`);
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const deliveries = (await store.listDeliveries({ limit: 1 }))[0]?.id ?? 0;
  process.stdout.write(
    `${JSON.stringify({
      bench: 'stats',
      backend: databaseUrl ? 'postgres' : 'sqlite',
      deliveries,
      samples,
      floor_p99_ms: round(floorP99),
      p99_ms: p99,
      ratio_to_floor: ratios,
      max_p99_ms: Math.max(...Object.values(p99)),
    })}\n`,
  );
} finally {
  await store.close();
}
