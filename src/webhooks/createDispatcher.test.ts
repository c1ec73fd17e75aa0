/**
 * @module Tests of the dispatcher on a real SQLite store and a real HTTP receiver on 127.0.0.1:
 * signed delivery checked by `standardwebhooks`, retries with a stable id, 3xx/410/exhaustion,
 * retry-after with an injected clock, bus wake-up, graceful stop and metrics.
 */
import { Registry } from 'prom-client';
import { Webhook } from 'standardwebhooks';
import { expect, test, type TestContext } from 'vitest';
import { openTestStore, sqliteTestDatabase } from '../../test/support/databases.js';
import { startWebhookReceiver, type ReceiverHandler } from '../../test/support/webhookReceiver.js';
import { createEventBus } from '../events/index.js';
import { outboxEvent, type Store } from '../store/index.js';
import { version } from '../version.js';
import { createDispatcher, type DispatcherOptions } from './createDispatcher.js';
import { generateSecret } from './signWebhook.js';

const schedule = [0, 10, 20, 30];

/** Polls `check` until it holds (the test's own timeout bounds the wait). */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** A store with one common endpoint at a fresh receiver, and a dispatcher factory. */
async function setup(context: TestContext, handler?: ReceiverHandler) {
  const store: Store = await openTestStore(context, await sqliteTestDatabase(context));
  const receiver = await startWebhookReceiver(handler);
  context.onTestFinished(() => receiver.close());
  const secret = generateSecret();
  const endpoint = await store.putEndpoint({
    eventType: null,
    url: `${receiver.origin}/hook?x=1`,
    secret,
    at: Date.now(),
  });
  const dispatcher = (options: Partial<DispatcherOptions> = {}) => {
    const created = createDispatcher({ store, allow: ['127.0.0.0/8'], schedule, pollMs: 20, ...options });
    context.onTestFinished(() => created.stop());
    return created;
  };
  return { store, receiver, secret, endpoint, dispatcher };
}

test('delivers the exact body, signed, with user-agent; retries keep the id and refresh the timestamp', async (context) => {
  let calls = 0;
  const { store, receiver, secret, dispatcher } = await setup(context, (_request, response) => {
    calls += 1;
    response.writeHead(calls === 1 ? 503 : 204).end(calls === 1 ? 'busy' : '');
  });
  const body = '{"event":"mailing group unsubscribe","email":"ann@example.com","group_id":4}';
  await store.appendEvents([{ type: 'mailing group unsubscribe', body }], Date.now());
  let clock = 1_700_000_000_000;
  const worker = dispatcher({ now: () => clock });
  expect(await worker.runOnce()).toEqual({ fannedOut: 1, attempted: 1 });
  clock += 60_000;
  expect(await worker.runOnce()).toEqual({ fannedOut: 0, attempted: 1 });

  expect(receiver.requests).toHaveLength(2);
  const [first, second] = receiver.requests;
  for (const request of [first, second]) {
    expect(request?.body).toBe(body);
    expect(request?.path).toBe('/hook?x=1');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['user-agent']).toBe(`unsub/${version}`);
  }
  expect(second?.headers['webhook-id']).toBe(first?.headers['webhook-id']);
  expect(Number(second?.headers['webhook-timestamp'])).toBe(Number(first?.headers['webhook-timestamp']) + 60);
  // The independent implementation verifies what we sent (at our injected time).
  const headers = second?.headers as Record<string, string>;
  const verifier = new Webhook(secret);
  const realNow = Date.now;
  Date.now = () => clock;
  try {
    expect(verifier.verify(body, headers)).toEqual(JSON.parse(body));
  } finally {
    Date.now = realNow;
  }
  const [delivery] = await store.listDeliveries();
  expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2, lastStatus: 204 });
  const detail = await store.getDelivery(delivery?.id ?? 0);
  expect(detail?.attemptLog.map((a) => [a.status, a.responseExcerpt, a.worker])).toEqual([
    [503, 'busy', `${worker.owner}#1`],
    [204, '', `${worker.owner}#2`],
  ]);
});

test('a redirect fails without being followed; 410 disables the endpoint', async (context) => {
  const answers = [302, 410];
  const { store, receiver, endpoint, dispatcher } = await setup(context, (_request, response) => {
    response.writeHead(answers.shift() ?? 204, { location: 'http://127.0.0.1:1/elsewhere' }).end();
  });
  await store.appendEvents([outboxEvent({ event: 'message sent', n: 1 })], Date.now());
  const worker = dispatcher();
  await worker.runOnce();
  expect(receiver.requests).toHaveLength(1);
  expect((await store.listDeliveries())[0]).toMatchObject({ status: 'failed', lastStatus: 302 });
  await store.appendEvents(
    [outboxEvent({ event: 'message sent', n: 2 }), outboxEvent({ event: 'message sent', n: 3 })],
    Date.now(),
  );
  // With room for one attempt, one event is fanned out (leased at once); the other waits in the outbox.
  const limited = dispatcher({ concurrency: 1 });
  expect(await limited.runOnce()).toEqual({ fannedOut: 1, attempted: 1 });
  expect(await store.getEndpoint(endpoint.id)).toMatchObject({ disabledReason: 'gone' });
  expect((await store.listDeliveries()).map((d) => d.status)).toEqual(['failed', 'failed']);
  // The next event meets the disabled endpoint: parked as `disabled` (replayable), not sent.
  expect(await limited.runOnce()).toEqual({ fannedOut: 1, attempted: 0 });
  expect((await store.listDeliveries()).map((d) => d.status)).toEqual(['disabled', 'failed', 'failed']);
  expect(receiver.requests).toHaveLength(2);
  expect(await limited.runOnce()).toEqual({ fannedOut: 0, attempted: 0 });
});

test('a retry waits for retry-after and fails once the schedule is exhausted', async (context) => {
  const { store, dispatcher } = await setup(context, (_request, response) => {
    response.writeHead(429, { 'retry-after': '120' }).end();
  });
  await store.appendEvents([outboxEvent({ event: 'message sent', n: 1 })], Date.now());
  let clock = 1_700_000_000_000;
  const worker = dispatcher({ now: () => clock, random: () => 0.5 });
  await worker.runOnce();
  expect((await store.listDeliveries())[0]?.nextAttemptAt).toBe(clock + 120_000);
  clock += 119_000;
  expect((await worker.runOnce()).attempted).toBe(0);
  for (let attempt = 2; attempt <= schedule.length; attempt += 1) {
    clock += 121_000;
    expect((await worker.runOnce()).attempted).toBe(1);
  }
  expect((await store.listDeliveries())[0]).toMatchObject({ status: 'failed', attempts: schedule.length });
});

test('the bus wakes an idle dispatcher; stop() lets the attempt in flight finish and records it', async (context) => {
  const requests: (() => void)[] = [];
  const { store, dispatcher } = await setup(context, (_request, response) => {
    requests.push(() => response.writeHead(200).end('thanks'));
  });
  const bus = createEventBus();
  const registry = new Registry();
  // A poll far beyond the test's timeout: only the bus can make this delivery happen.
  const worker = dispatcher({ bus, pollMs: 3_600_000, metrics: registry });
  worker.start();
  await store.appendEvents([outboxEvent({ event: 'mailing group unsubscribe', group_id: 4 })], Date.now());
  bus.emit({ event: 'mailing group unsubscribe', group_id: 4 });
  await until(() => requests.length === 1);
  const stopped = worker.stop();
  requests[0]?.();
  await stopped;
  expect((await store.listDeliveries())[0]).toMatchObject({ status: 'succeeded', lastStatus: 200 });
  const text = await registry.metrics();
  expect(text).toMatch(/unsub_webhook_attempts_total\{outcome="succeeded"\} 1/);
  // Finished deliveries are history: /metrics never counts them (attempts_total is their rate).
  expect(text).not.toMatch(/unsub_webhook_deliveries\{status="succeeded"\}/);
  expect(text).toMatch(/unsub_webhook_deliveries\{status="pending"\} 0/);
  expect(text).toMatch(/unsub_webhook_pending 0/);
  expect(text).toMatch(/unsub_webhook_attempt_duration_seconds_count\{outcome="succeeded"\} 1/);
});

test('an endpoint that only failed for the whole window is disabled', async (context) => {
  const { store, endpoint, dispatcher } = await setup(context, (_request, response) => {
    response.writeHead(500).end();
  });
  let clock = 1_700_000_000_000;
  const worker = dispatcher({ now: () => clock, disableAfterMs: 1_000 });
  await store.appendEvents([outboxEvent({ event: 'message sent', n: 1 })], clock);
  await worker.runOnce();
  expect((await store.getEndpoint(endpoint.id))?.firstFailureAt).toBe(clock);
  clock += 1_000;
  await worker.runOnce();
  expect(await store.getEndpoint(endpoint.id)).toMatchObject({ disabledReason: 'failing' });
  expect((await store.listDeliveries())[0]?.status).toBe('disabled');
});

test('during a rotation both secrets sign, and each verifies', async (context) => {
  const { store, receiver, secret, endpoint, dispatcher } = await setup(context);
  const next = generateSecret();
  await store.rotateEndpointSecret(endpoint.id, { secret: next, at: Date.now() });
  await store.appendEvents([outboxEvent({ event: 'message sent', n: 1 })], Date.now());
  await dispatcher().runOnce();
  const request = receiver.requests[0];
  expect(request?.headers['webhook-signature']?.toString().split(' ')).toHaveLength(2);
  for (const key of [secret, next]) {
    expect(new Webhook(key).verify(request?.body ?? '', request?.headers as Record<string, string>)).toEqual({
      event: 'message sent',
      n: 1,
    });
  }
});

for (const thread of [false, true]) {
  test(`a backlog beyond the per-endpoint cap drains as slots free up, never waiting for a poll (store thread: ${thread})`, async (context) => {
    // A poll period longer than the test may run: only the settle → claim path can finish this.
    const store: Store = await openTestStore(context, { ...(await sqliteTestDatabase(context)), thread });
    const receiver = await startWebhookReceiver();
    context.onTestFinished(() => receiver.close());
    await store.putEndpoint({ eventType: null, url: `${receiver.origin}/`, secret: generateSecret(), at: 1 });
    await store.appendEvents(
      Array.from({ length: 300 }, (_, n) => outboxEvent({ event: 'message sent', n })),
      Date.now(),
    );
    // Fanned out beforehand (as by a worker that died): 300 deliveries due, none leased.
    while ((await store.fanOutPending(Date.now(), 100)).events > 0);
    const worker = createDispatcher({
      store,
      allow: ['127.0.0.0/8'],
      concurrency: 16,
      perEndpointConcurrency: 2,
      pollMs: 3_600_000,
    });
    context.onTestFinished(() => worker.stop());
    worker.start();
    await until(() => receiver.requests.length >= 300);
    await worker.stop();
    expect((await store.deliveryStats()).byStatus.succeeded).toBe(300);
  });
}

test('wake() from outside looks for work at once (no poll needed)', async (context) => {
  const { store, receiver, dispatcher } = await setup(context);
  const worker = dispatcher({ pollMs: 3_600_000 });
  worker.start();
  // Let the first look (nothing to do) pass, so only wake() can find the event.
  await new Promise((resolve) => setTimeout(resolve, 50));
  await store.appendEvents([outboxEvent({ event: 'message sent', n: 1 })], Date.now());
  worker.wake();
  await until(() => receiver.requests.length === 1);
});

test('the default lease covers the held rounds: four attempt timeouts plus a second', async (context) => {
  const { store, dispatcher } = await setup(context);
  const leases: number[] = [];
  const watched: Store = {
    ...store,
    fanOutPending: (at, limit, claim) => {
      if (claim) leases.push(claim.leaseMs);
      return store.fanOutPending(at, limit, claim);
    },
    claimDeliveries: (input) => {
      leases.push(input.leaseMs);
      return store.claimDeliveries(input);
    },
  };
  await store.appendEvents([outboxEvent({ event: 'message sent', n: 1 })], Date.now());
  const worker = dispatcher({ store: watched, timeoutMs: 2_000 });
  await worker.runOnce();
  expect(leases.length).toBeGreaterThan(0);
  expect(new Set(leases)).toEqual(new Set([4 * 2_000 + 1_000]));
});

for (const [fanOutsInFlight, failEvery] of [
  [1, 0],
  [2, 0],
  [2, 4],
]) {
  const failing = failEvery ? `, every ${failEvery}th fan-out failing` : '';
  test(`${fanOutsInFlight} fan-out(s) in flight${failing}: the next page is asked for early, within the caps, each event once`, async (context) => {
    const { store, receiver, dispatcher } = await setup(context);
    const events = 400;
    await store.appendEvents(
      Array.from({ length: events }, (_, n) => outboxEvent({ event: 'message sent', n })),
      Date.now(),
    );
    const concurrency = 8;
    const cap = 4 * concurrency; // holdRounds rounds of the caps
    /** The fan-outs in flight: the room each may still fill. */
    const outstanding = new Set<{ limit: number }>();
    let mostAtOnce = 0;
    let calls = 0;
    const overCap: string[] = [];
    const slow: Store = {
      ...store,
      // A slow trip to the store: sending what is held takes less time than one page's trip.
      fanOutPending: async (at, limit, claim) => {
        const call = { limit: claim?.limit ?? 0 };
        if (claim) {
          const held = [...(claim.inFlight ?? new Map<number, number>()).values()].reduce((a, b) => a + b, 0);
          const others = [...outstanding].reduce((sum, other) => sum + other.limit, 0);
          if (held + claim.limit + others > cap) overCap.push(`total ${held} + ${claim.limit} + ${others}`);
          if ((claim.perEndpointLimit ?? claim.limit) + others > cap) {
            overCap.push(`per endpoint ${claim.perEndpointLimit ?? claim.limit} + ${others}`);
          }
        }
        outstanding.add(call);
        mostAtOnce = Math.max(mostAtOnce, outstanding.size);
        calls += 1;
        try {
          await new Promise((resolve) => setTimeout(resolve, 25));
          // The store is unreachable for this page: nothing of it was written.
          if (failEvery && calls % failEvery === 0) throw new Error('connection reset');
          return await store.fanOutPending(at, limit, claim);
        } finally {
          outstanding.delete(call);
        }
      },
    };
    const worker = dispatcher({
      store: slow,
      concurrency,
      perEndpointConcurrency: concurrency,
      fanOutsInFlight,
      pollMs: 3_600_000,
    });
    worker.start();
    await until(() => receiver.requests.length >= events);
    await worker.stop();
    expect(overCap).toEqual([]);
    expect(mostAtOnce).toBe(fanOutsInFlight);
    const ids = receiver.requests.map((request) => request.headers['webhook-id']);
    expect(new Set(ids).size).toBe(events);
    expect(receiver.requests).toHaveLength(events);
    const deliveries = await store.listDeliveries({ limit: 1_000 });
    expect(deliveries.filter((delivery) => delivery.status === 'succeeded')).toHaveLength(events);
  });
}
