/**
 * @module Chaos tests: a receiver that answers 500, 429 with retry-after, hangs past the timeout or
 * resets the connection (a planned number of times per delivery) still gets every event exactly
 * once successfully under a compressed schedule; and a dead endpoint does not hold up a healthy one.
 * Real dispatcher, real HTTP on 127.0.0.1, both stores.
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { describe, expect, test } from 'vitest';
import { outboxEvent } from '../../src/store/index.js';
import { createDispatcher, generateSecret } from '../../src/webhooks/index.js';
import { openTestStore, testBackends } from '../support/databases.js';
import { startWebhookReceiver } from '../support/webhookReceiver.js';
import { appendNumberedEvents, until } from './dispatchHarness.js';

const backends = await testBackends('the PostgreSQL dispatcher chaos tests');
const schedule = [0, 20, 50, 100, 100, 100];
const kinds = ['500', '429', 'hang', 'reset'] as const;

/** How many times (0–3) the receiver fails a webhook-id before answering 204, from a hash of it. */
function plannedFailures(id: string): { count: number; first: number } {
  const digest = createHash('sha256').update(id).digest();
  return { count: (digest[0] ?? 0) % 4, first: digest[1] ?? 0 };
}

describe.each(backends)('chaos ($name)', (backend) => {
  test('500, 429 + retry-after, hangs and resets: every event delivered', async (context) => {
    const store = await openTestStore(context, await backend.makeDatabase(context));
    const seen = new Map<string, number>();
    const answered429 = new Map<string, number>();
    const retriedAfter429: number[] = [];
    const successes = new Map<string, number>();
    const fail = (kind: (typeof kinds)[number], id: string, response: ServerResponse, socket: Socket) => {
      if (kind === '500') response.writeHead(500).end('oops');
      if (kind === '429') {
        answered429.set(id, Date.now());
        response.writeHead(429, { 'retry-after': '1' }).end();
      }
      if (kind === 'reset') socket.destroy();
      // 'hang': never answer; the dispatcher's timeout ends the attempt.
    };
    const receiver = await startWebhookReceiver((request, response, socket) => {
      const id = String(request.headers['webhook-id']);
      const attempt = (seen.get(id) ?? 0) + 1;
      seen.set(id, attempt);
      const limited = answered429.get(id);
      if (limited !== undefined) {
        retriedAfter429.push(Date.now() - limited);
        answered429.delete(id);
      }
      const plan = plannedFailures(id);
      if (attempt <= plan.count)
        return fail(kinds[(plan.first + attempt) % kinds.length] ?? '500', id, response, socket);
      successes.set(id, (successes.get(id) ?? 0) + 1);
      response.writeHead(204).end();
    });
    context.onTestFinished(() => receiver.close());
    await store.putEndpoint({
      eventType: null,
      url: `${receiver.origin}/chaos`,
      secret: generateSecret(),
      at: Date.now(),
    });
    const events = 300;
    await appendNumberedEvents(store, events, Date.now());
    const dispatcher = createDispatcher({
      store,
      allow: ['127.0.0.0/8'],
      timeoutMs: 300,
      schedule,
      concurrency: 16,
      perEndpointConcurrency: 8,
      pollMs: 20,
    });
    context.onTestFinished(() => dispatcher.stop());
    dispatcher.start();
    await until(async () => (await store.deliveryStats()).byStatus.succeeded === events);
    await dispatcher.stop();

    expect(successes.size).toBe(events);
    // Every planned failure was retried (at least the planned attempts + 1). A success that only
    // counts twice is one whose earlier answer came after the timeout on this busy machine:
    // at-least-once allows that, and the log must then show the timeout.
    const deliveries = await store.listDeliveries({ limit: 500 });
    expect(deliveries).toHaveLength(events);
    const errors: string[] = [];
    for (const delivery of deliveries) {
      expect(delivery).toMatchObject({ status: 'succeeded', lastStatus: 204 });
      expect(delivery.attempts).toBeGreaterThanOrEqual(plannedFailures(delivery.webhookId).count + 1);
      const log = (await store.getDelivery(delivery.id))?.attemptLog ?? [];
      expect(log).toHaveLength(delivery.attempts);
      const logErrors = log.flatMap((attempt) => (attempt.error ? [attempt.error] : []));
      errors.push(...logErrors);
      if ((successes.get(delivery.webhookId) ?? 0) > 1) {
        expect(logErrors.some((error) => error.startsWith('timeout'))).toBe(true);
      }
    }
    // Each kind of failure happened, and retry-after (1 s) was never cut short.
    expect(errors.some((error) => error.startsWith('timeout'))).toBe(true);
    expect(errors.some((error) => error.startsWith('connection_reset'))).toBe(true);
    expect(retriedAfter429.length).toBeGreaterThan(0);
    expect(Math.min(...retriedAfter429)).toBeGreaterThanOrEqual(1_000);
  }, 120_000);

  test('a dead endpoint does not hold up a healthy one', async (context) => {
    const store = await openTestStore(context, await backend.makeDatabase(context));
    const dead = await startWebhookReceiver(() => undefined); // accepts, never answers
    const healthy = await startWebhookReceiver();
    context.onTestFinished(async () => {
      await dead.close();
      await healthy.close();
    });
    const at = Date.now();
    await store.putEndpoint({
      eventType: 'message sent',
      url: `${dead.origin}/`,
      secret: generateSecret(),
      at,
    });
    await store.putEndpoint({ eventType: null, url: `${healthy.origin}/`, secret: generateSecret(), at });
    // Interleaved, dead endpoint's events first in each pair.
    const events = Array.from({ length: 100 }, (_, n) => [
      outboxEvent({ event: 'message sent', n }),
      outboxEvent({ event: 'message open', n }),
    ]).flat();
    await store.appendEvents(events, at);
    const dispatcher = createDispatcher({
      store,
      allow: ['127.0.0.0/8'],
      timeoutMs: 500,
      schedule: [0, 50, 100, 100, 100, 100, 100, 100],
      concurrency: 8,
      perEndpointConcurrency: 4,
      pollMs: 20,
    });
    context.onTestFinished(() => dispatcher.stop());
    dispatcher.start();
    await until(async () => {
      const done = await store.listDeliveries({ eventType: 'message open', status: 'succeeded', limit: 500 });
      return done.length === 100;
    });
    // The healthy endpoint is done while the dead one is still being retried.
    const deadDeliveries = await store.listDeliveries({ eventType: 'message sent', limit: 500 });
    expect(deadDeliveries.filter((d) => d.status === 'succeeded')).toHaveLength(0);
    expect(
      deadDeliveries.filter((d) => d.status === 'pending' || d.status === 'delivering').length,
    ).toBeGreaterThan(0);
    expect(dead.requests.length).toBeGreaterThan(0);
    expect(healthy.requests).toHaveLength(100);
    await dispatcher.stop();
  }, 120_000);
});
