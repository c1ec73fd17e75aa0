/**
 * @module Crash test: a worker process is SIGKILLed in the middle of dispatching 2,000 events; a
 * restarted worker takes over the expired leases and every event reaches the receiver (2,000
 * distinct `webhook-id`s), none lost. On SQLite (the real `unsub worker`) and PostgreSQL.
 */
import { describe, expect, test } from 'vitest';
import { openTestStore, testBackends } from '../support/databases.js';
import { startWebhookReceiver } from '../support/webhookReceiver.js';
import { generateSecret } from '../../src/webhooks/index.js';
import { appendNumberedEvents, distinctIds, spawnWorker, until } from './dispatchHarness.js';

const events = 2_000;
const backends = await testBackends('the PostgreSQL dispatcher crash test');

describe.each(backends)('crash ($name)', (backend) => {
  test('SIGKILL mid-dispatch, restart: all 2,000 events delivered', async (context) => {
    const database = await backend.makeDatabase(context);
    const store = await openTestStore(context, database);
    // A few ms per answer and 4 connections keep the dispatch long enough to kill it midway.
    const receiver = await startWebhookReceiver((_request, response) => {
      setTimeout(() => response.writeHead(204).end(), 4);
    });
    context.onTestFinished(() => receiver.close());
    await store.putEndpoint({
      eventType: null,
      url: `${receiver.origin}/hook`,
      secret: generateSecret(),
      at: Date.now(),
    });
    await appendNumberedEvents(store, events, Date.now());
    const env = { UNSUB_WEBHOOK_ENDPOINT_CONCURRENCY: '4', UNSUB_RETRY_SCHEDULE: '0,20ms,50ms,100ms,200ms' };

    const first = spawnWorker(context, { database, env });
    await until(() => receiver.requests.length >= 300);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    const stats = await store.deliveryStats();
    // Killed mid-dispatch: work was left unfinished, some of it leased to the dead worker.
    expect(stats.byStatus.succeeded).toBeLessThan(events);

    const second = spawnWorker(context, { database, env });
    await until(async () => (await store.deliveryStats()).byStatus.succeeded === events);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    expect(distinctIds(receiver.requests).size).toBe(events);
    const finalStats = await store.deliveryStats();
    expect(finalStats).toMatchObject({ undispatchedEvents: 0, oldestPendingAt: null });
    expect(finalStats.byStatus).toEqual({
      pending: 0,
      delivering: 0,
      succeeded: events,
      failed: 0,
      disabled: 0,
    });
    expect(second.stderr()).not.toMatch(/error|failed/i);
  }, 120_000);
});
