/**
 * @module The delivery log API and `/metrics` over HTTP on every available store backend: listing
 * newest first with filters and a keyset cursor, one delivery with its attempts, retry, replay of an
 * endpoint's failed deliveries in a window, disable/enable, and the dispatcher's named metrics.
 * Deliveries are made with the store's own verbs (fan-out, claim, complete), no dispatcher running.
 */
import { describe, expect, test } from 'vitest';
import { eventSamples } from '../../src/events/index.js';
import { generateSecret } from '../../src/webhooks/index.js';
import { testBackends, type TestBackend } from '../support/databases.js';
import { startWebhooksApi } from './webhooksApiHarness.js';

const backends = await testBackends('the PostgreSQL deliveries API suite');

/**
 * Two endpoints (common + `message sent`) and four events → four deliveries:
 * message sent → `own` (succeeded), message open → common (failed, HTTP 500),
 * complaint → common (pending, retry due later), contact adding → common (pending, not claimed).
 */
async function seed(context: Parameters<typeof startWebhooksApi>[0], backend: TestBackend) {
  const harness = await startWebhooksApi(context, backend);
  const { store, clock, api } = harness;
  const at = clock.now;
  const common = await store.putEndpoint({
    eventType: null,
    url: 'https://example.com/all',
    secret: generateSecret(),
    at,
  });
  const own = await store.putEndpoint({
    eventType: 'message sent',
    url: 'https://example.com/sent',
    secret: generateSecret(),
    at,
  });
  const posted = await api('POST', '/api/events', [
    eventSamples['message sent'],
    eventSamples['message open'],
    eventSamples.complaint,
    eventSamples['contact adding'],
  ]);
  expect(posted.status).toBe(202);
  expect(await store.fanOutPending(at, 100)).toEqual({ events: 4, deliveries: 4 });
  const claimed = await store.claimDeliveries({ owner: 'w1', now: at, leaseMs: 60_000, limit: 3 });
  const byType = new Map(claimed.map((delivery) => [delivery.eventType, delivery]));
  const attempt = (status: number | null, excerpt = '') => ({
    at,
    status,
    durationMs: 12,
    error: status === null ? 'timeout: no answer in 15 s' : null,
    responseExcerpt: excerpt,
  });
  const results = [
    { type: 'message sent', outcome: 'succeeded', attempt: attempt(204) },
    { type: 'message open', outcome: 'failed', attempt: attempt(500, 'boom') },
    { type: 'complaint', outcome: 'pending', attempt: attempt(null), nextAttemptAt: at + 5000 },
  ] as const;
  const applied = await store.completeAttempts(
    results
      .filter((result) => byType.has(result.type))
      .map((result) => ({
        deliveryId: byType.get(result.type)!.id,
        owner: 'w1',
        attempt: result.attempt,
        outcome: result.outcome,
        ...('nextAttemptAt' in result ? { nextAttemptAt: result.nextAttemptAt } : {}),
        at,
      })),
  );
  expect(applied).toEqual([true, true, true]);
  const ids = Object.fromEntries(
    (await store.listDeliveries()).map((delivery) => [delivery.eventType, delivery.id]),
  ) as Record<'message sent' | 'message open' | 'complaint' | 'contact adding', number>;
  return { ...harness, common, own, ids, at };
}

describe.each(backends)('deliveries API on $name', (backend) => {
  test('lists newest first, filters, and pages with a cursor', async (context) => {
    const { api, common, own, ids } = await seed(context, backend);
    const all = await api('GET', '/api/deliveries');
    expect(all.status).toBe(200);
    expect(all.body.next).toBeNull();
    expect(all.body.deliveries.map((d: { id: number }) => d.id)).toEqual(
      Object.values(ids).sort((a, b) => b - a),
    );
    const failed = all.body.deliveries.find((d: { id: number }) => d.id === ids['message open']);
    expect(failed).toMatchObject({
      eventType: 'message open',
      endpointId: common.id,
      webhookId: expect.stringMatching(/^msg_/),
      status: 'failed',
      lastStatus: 500,
      createdAt: expect.stringMatching(/Z$/),
    });

    const only = async (query: string) =>
      (await api('GET', `/api/deliveries?${query}`)).body.deliveries.map((d: { id: number }) => d.id);
    expect(await only('status=failed')).toEqual([ids['message open']]);
    expect(await only('event=message%20sent')).toEqual([ids['message sent']]);
    expect(await only(`endpoint=${own.id}`)).toEqual([ids['message sent']]);
    expect(await only('event=%D1%81omplaint')).toEqual([ids.complaint]); // Cyrillic с

    const first = await api('GET', '/api/deliveries?limit=3');
    expect(first.body.deliveries).toHaveLength(3);
    expect(first.body.next).toBe(first.body.deliveries[2].id);
    const second = await api('GET', `/api/deliveries?limit=3&before=${first.body.next}`);
    expect(second.body.deliveries.map((d: { id: number }) => d.id)).toEqual([
      Math.min(...Object.values(ids)),
    ]);
    expect(second.body.next).toBeNull();

    for (const [query, field] of [
      ['status=lost', 'query.status'],
      ['limit=0', 'query.limit'],
      ['limit=501', 'query.limit'],
      ['before=abc', 'query.before'],
      ['event=nope', 'query.event'],
      ['sort=asc', 'query.sort'],
    ]) {
      const answer = await api('GET', `/api/deliveries?${query}`);
      expect(answer.status, query).toBe(422);
      expect(answer.body.error.field).toBe(field);
    }
  });

  test('shows one delivery with its exact body and attempt log', async (context) => {
    const { api, ids, at } = await seed(context, backend);
    const shown = await api('GET', `/api/deliveries/${ids['message open']}`);
    expect(shown.status).toBe(200);
    expect(shown.body.body).toBe(JSON.stringify(eventSamples['message open']));
    expect(shown.body.attemptLog).toEqual([
      {
        id: expect.any(Number),
        at: new Date(at).toISOString(),
        status: 500,
        durationMs: 12,
        error: null,
        responseExcerpt: 'boom',
        worker: 'w1',
      },
    ]);
    expect((await api('GET', '/api/deliveries/999999')).status).toBe(404);
    const bad = await api('GET', '/api/deliveries/abc');
    expect(bad.status).toBe(404);
    expect(bad.body.error.code).toBe('delivery_not_found');
  });

  test('retries one delivery, but not one a worker holds', async (context) => {
    const { api, store, ids, wakes, clock } = await seed(context, backend);
    clock.now += 1000;
    const retried = await api('POST', `/api/deliveries/${ids['message open']}/retry`, {});
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({
      status: 'pending',
      attempts: 0,
      nextAttemptAt: new Date(clock.now).toISOString(),
    });
    expect(wakes.count).toBe(1);

    await store.claimDeliveries({ owner: 'w2', now: clock.now, leaseMs: 60_000, limit: 10 });
    const held = await api('POST', `/api/deliveries/${ids['message open']}/retry`, {});
    expect(held.status).toBe(409);
    expect(held.body.error.code).toBe('delivery_in_flight');
    expect((await api('POST', '/api/deliveries/424242/retry', {})).status).toBe(404);
  });

  test("replays an endpoint's failed deliveries in a time window", async (context) => {
    const { api, store, common, own, ids, at } = await seed(context, backend);
    const iso = (ms: number) => new Date(ms).toISOString();
    const before = await api('POST', `/api/endpoints/${common.id}/replay`, {
      from: iso(at - 60_000),
      to: iso(at),
    });
    expect(before.body).toEqual({ replayed: 0 }); // [from, to): created at `at` is outside
    const replayed = await api('POST', `/api/endpoints/${common.id}/replay`, {
      from: iso(at),
      to: iso(at + 1),
    });
    expect(replayed.status).toBe(200);
    expect(replayed.body).toEqual({ replayed: 1 });
    expect((await store.getDelivery(ids['message open']))?.status).toBe('pending');
    expect(
      (await api('POST', `/api/endpoints/${own.id}/replay`, { from: iso(at), to: iso(at + 1) })).body,
    ).toEqual({
      replayed: 0,
    });

    const backwards = await api('POST', `/api/endpoints/${common.id}/replay`, {
      from: iso(at),
      to: iso(at - 1),
    });
    expect(backwards.status).toBe(422);
    expect(backwards.body.error.field).toBe('to');
    const notIso = await api('POST', `/api/endpoints/${common.id}/replay`, {
      from: 'yesterday',
      to: iso(at),
    });
    expect(notIso.status).toBe(422);
    expect(notIso.body.error.field).toBe('from');
    expect(
      (await api('POST', '/api/endpoints/999999/replay', { from: iso(at), to: iso(at + 1) })).status,
    ).toBe(404);
  });

  test('disables and enables an endpoint', async (context) => {
    const { api, store, common, ids } = await seed(context, backend);
    const disabled = await api('POST', `/api/endpoints/${common.id}/disable`, {});
    expect(disabled.body).toMatchObject({ id: common.id, enabled: false, disabledReason: 'manual' });
    expect((await store.getDelivery(ids['contact adding']))?.status).toBe('disabled');
    const enabled = await api('POST', `/api/endpoints/${common.id}/enable`, {});
    expect(enabled.status).toBe(200);
    expect(enabled.body).toEqual({
      id: common.id,
      eventType: null,
      url: 'https://example.com/all',
      enabled: true,
      disabledReason: null,
      disabledAt: null,
      removed: false,
    });
    expect((await api('GET', '/api/webhooks')).body.common.enabled).toBe(true);
    expect((await api('POST', '/api/endpoints/999999/enable', {})).body.error.code).toBe(
      'endpoint_not_found',
    );
  });

  test('GET /metrics exposes the dispatcher metrics, read from the store', async (context) => {
    const { api, clock } = await seed(context, backend);
    clock.now += 30_000;
    const metrics = await api('GET', '/metrics', undefined, { token: null });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = metrics.text;
    // Finished deliveries are history (pruned by retention): only unfinished work is counted.
    expect(text).not.toContain('unsub_webhook_deliveries{status="failed"}');
    expect(text).not.toContain('unsub_webhook_deliveries{status="succeeded"}');
    expect(text).toContain('unsub_webhook_pending 2');
    expect(text).toMatch(/unsub_webhook_oldest_pending_age_seconds 30\b/);
    expect(text).toContain('# TYPE unsub_webhook_attempts_total counter');
    expect(text).toContain('# TYPE unsub_webhook_attempt_duration_seconds histogram');
  });
});
