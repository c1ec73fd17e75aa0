/**
 * @module The webhook settings API over HTTP on every available store backend: bearer token,
 * GET/PUT round trip, test-before-save (500 → refused, 204 → saved, a refused private address),
 * the 15-minute window on an injected clock, per-event over common, rotation checked with the
 * independent `standardwebhooks` package, and validation errors naming the field.
 */
import { Webhook } from 'standardwebhooks';
import { describe, expect, test } from 'vitest';
import { eventSamples } from '../../src/events/index.js';
import { pendingSecretKey, verifyWebhook } from '../../src/webhooks/index.js';
import { testBackends } from '../support/databases.js';
import { startWebhookReceiver, type ReceiverHandler } from '../support/webhookReceiver.js';
import { startWebhooksApi } from './webhooksApiHarness.js';

const backends = await testBackends('the PostgreSQL webhooks API suite');
const unsubscribe = 'mailing group unsubscribe';
const minute = 60_000;

/** A receiver answering `status` (changeable), closed when the test ends. */
async function receiver(context: { onTestFinished(fn: () => unknown): void }, status = { value: 204 }) {
  const handler: ReceiverHandler = (_request, response) =>
    response.writeHead(status.value).end(`answer ${status.value}`);
  const started = await startWebhookReceiver(handler);
  context.onTestFinished(() => started.close());
  return { ...started, status };
}

describe.each(backends)('webhook settings API on $name', (backend) => {
  test('refuses every route without the admin token', async (context) => {
    const { api } = await startWebhooksApi(context, backend);
    for (const [method, path, body] of [
      ['GET', '/api/webhooks', undefined],
      ['PUT', '/api/webhooks', { common: null }],
      ['POST', '/api/webhooks/test', { url: 'http://127.0.0.1:1/' }],
      ['POST', '/api/webhooks/rotate', { slot: 'common' }],
      ['POST', '/api/events', eventSamples[unsubscribe]],
      ['GET', '/api/deliveries', undefined],
      ['POST', '/api/endpoints/1/enable', {}],
    ] as const) {
      const answer = await api(method, path, body, { token: null });
      expect(answer.status, `${method} ${path}`).toBe(401);
      expect(answer.body.error.code).toBe('unauthorized');
      expect((await api(method, path, body, { token: 'wrong-token-of-some-length' })).status).toBe(401);
    }
  });

  test('a failing test refuses the save; a passing one allows it, signed with the saved secret', async (context) => {
    const { api, store } = await startWebhooksApi(context, backend);
    const target = await receiver(context, { value: 500 });
    const url = `${target.origin}/hooks/unsub`;
    expect((await api('GET', '/api/webhooks')).body).toEqual({ common: null, events: {} });

    const untested = await api('PUT', '/api/webhooks', { events: { [unsubscribe]: url } });
    expect(untested.status).toBe(409);
    expect(untested.body.error).toMatchObject({ code: 'url_not_tested', field: `events.${unsubscribe}` });

    const failed = await api('POST', '/api/webhooks/test', { url, event: unsubscribe });
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ ok: false, status: 500, response_excerpt: 'answer 500' });
    expect(failed.body.duration_ms).toEqual(expect.any(Number));
    const stillRefused = await api('PUT', '/api/webhooks', { events: { [unsubscribe]: url } });
    expect(stillRefused.status).toBe(409);
    expect(stillRefused.body.error.message).toContain('HTTP 500');

    target.status.value = 204;
    const passed = await api('POST', '/api/webhooks/test', { url, event: unsubscribe });
    expect(passed.body).toMatchObject({ ok: true, status: 204, sent: eventSamples[unsubscribe] });
    const saved = await api('PUT', '/api/webhooks', { events: { [unsubscribe]: url } });
    expect(saved.status).toBe(200);
    const slot = saved.body.events[unsubscribe];
    expect(slot).toEqual({
      id: expect.any(Number),
      url,
      secret: expect.stringMatching(/^whsec_/),
      enabled: true,
      disabledReason: null,
      disabledAt: null,
      previousSecretExpiresAt: null,
    });
    expect(saved.body.common).toBeNull();
    expect((await api('GET', '/api/webhooks')).body).toEqual(saved.body);
    // The test was signed with the secret the endpoint now has: the receiver's check keeps passing.
    const request = target.requests.at(-1)!;
    expect(new Webhook(slot.secret).verify(request.body, request.headers as Record<string, string>)).toEqual(
      eventSamples[unsubscribe],
    );
    expect(await store.getSetting(pendingSecretKey(unsubscribe))).toBeUndefined();
  });

  test('a test counts for 15 minutes, measured on the injected clock', async (context) => {
    const { api, clock } = await startWebhooksApi(context, backend);
    const target = await receiver(context);
    const url = `${target.origin}/late`;
    expect((await api('POST', '/api/webhooks/test', { url, event: 'message sent' })).body.ok).toBe(true);
    clock.now += 15 * minute + 1;
    const late = await api('PUT', '/api/webhooks', { events: { 'message sent': url } });
    expect(late.status).toBe(409);
    expect(late.body.error.message).toContain('more than 15 minutes ago');
    await api('POST', '/api/webhooks/test', { url, event: 'message sent' });
    clock.now += 14 * minute;
    expect((await api('PUT', '/api/webhooks', { events: { 'message sent': url } })).status).toBe(200);
    // Sending the unchanged settings back later needs no new test: nothing changes.
    clock.now += 60 * minute;
    const again = await api('PUT', '/api/webhooks', { events: { 'message sent': url } });
    expect(again.status).toBe(200);
  });

  test('the common URL gets every sample; per-event wins; null removes; all or nothing', async (context) => {
    const { api, store } = await startWebhooksApi(context, backend);
    const target = await receiver(context);
    const common = `${target.origin}/all`;
    const own = `${target.origin}/own`;
    const tested = await api('POST', '/api/webhooks/test', { url: common });
    expect(tested.body.ok).toBe(true);
    expect(tested.body.sent).toHaveLength(13);
    expect(target.requests.map((request) => JSON.parse(request.body).event)).toContain('complaint');

    // One untested slot refuses the whole change: the tested common URL is not saved either.
    const mixed = await api('PUT', '/api/webhooks', { common, events: { [unsubscribe]: own } });
    expect(mixed.status).toBe(409);
    expect(mixed.body.error.field).toBe(`events.${unsubscribe}`);
    expect(await store.listEndpoints()).toEqual([]);

    await api('POST', '/api/webhooks/test', { url: own, event: unsubscribe });
    const saved = await api('PUT', '/api/webhooks', { common, events: { [unsubscribe]: own } });
    expect(saved.status).toBe(200);
    expect(saved.body.common.url).toBe(common);
    expect((await store.endpointFor(unsubscribe))?.url).toBe(own);
    expect((await store.endpointFor('message sent'))?.url).toBe(common);

    const removed = await api('PUT', '/api/webhooks', { events: { [unsubscribe]: null } });
    expect(removed.body.events).toEqual({});
    expect(removed.body.common.url).toBe(common);
    expect((await store.endpointFor(unsubscribe))?.url).toBe(common);
  });

  test('rotation: both secrets sign for 24 hours, then only the new one', async (context) => {
    const { api, clock } = await startWebhooksApi(context, backend);
    const target = await receiver(context);
    const url = `${target.origin}/rotating`;
    await api('POST', '/api/webhooks/test', { url, event: unsubscribe });
    const old = (await api('PUT', '/api/webhooks', { events: { [unsubscribe]: url } })).body.events[
      unsubscribe
    ];

    const rotated = await api('POST', '/api/webhooks/rotate', { slot: unsubscribe });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(old.secret);
    expect(rotated.body.previousSecretExpiresAt).toBe(new Date(clock.now + 24 * 60 * minute).toISOString());

    await api('POST', '/api/webhooks/test', { url, event: unsubscribe });
    const during = target.requests.at(-1)!;
    const headers = during.headers as Record<string, string>;
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    for (const secret of [old.secret, rotated.body.secret]) {
      expect(new Webhook(secret).verify(during.body, headers)).toEqual(eventSamples[unsubscribe]);
    }

    clock.now += 24 * 60 * minute + 1000;
    await api('POST', '/api/webhooks/test', { url, event: unsubscribe });
    const after = target.requests.at(-1)!;
    expect((after.headers['webhook-signature'] as string).split(' ')).toHaveLength(1);
    const now = () => clock.now;
    expect(verifyWebhook(rotated.body.secret, after.headers, after.body, { now })).toEqual(
      eventSamples[unsubscribe],
    );
    expect(() => verifyWebhook(old.secret, after.headers, after.body, { now })).toThrow(
      expect.objectContaining({ code: 'bad_signature' }),
    );
    expect((await api('GET', '/api/webhooks')).body.events[unsubscribe].previousSecretExpiresAt).toBeNull();

    const empty = await api('POST', '/api/webhooks/rotate', { slot: 'common' });
    expect(empty.status).toBe(404);
    expect(empty.body.error).toMatchObject({ code: 'endpoint_not_found', field: 'slot' });
    const unknown = await api('POST', '/api/webhooks/rotate', { slot: 'message snet' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toMatchObject({ code: 'unknown_event', field: 'slot' });
  });

  test('a private address is refused by the test with a reason, and cannot be saved', async (context) => {
    const { api } = await startWebhooksApi(context, backend);
    const refused = await api('POST', '/api/webhooks/test', {
      url: 'http://10.0.0.1/hook',
      event: unsubscribe,
    });
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ ok: false, status: null, error: { code: 'address_refused' } });
    expect(refused.body.error.message).toMatch(/private/);
    const save = await api('PUT', '/api/webhooks', { events: { [unsubscribe]: 'http://10.0.0.1/hook' } });
    expect(save.status).toBe(409);
    expect(save.body.error.message).toContain('no response');
  });

  test('validation: unknown events, bad URLs and misspelt keys are 422 naming the field', async (context) => {
    const { api } = await startWebhooksApi(context, backend);
    const target = await receiver(context);
    const cases: [unknown, string, string][] = [
      [{ events: { bogus: `${target.origin}/x` } }, 'unknown_event', 'events.bogus'],
      [{ events: { common: `${target.origin}/x` } }, 'unknown_event', 'events.common'],
      [{ common: 'not a url' }, 'invalid_url', 'common'],
      [{ common: 'ftp://example.com/x' }, 'invalid_url', 'common'],
      [{ common: 'https://user:pw@example.com/x' }, 'invalid_url', 'common'],
      [{ events: { [unsubscribe]: 42 } }, 'invalid_input', `events.${unsubscribe}`],
      [{ comon: `${target.origin}/x` }, 'invalid_input', 'comon'],
    ];
    for (const [body, code, field] of cases) {
      const answer = await api('PUT', '/api/webhooks', body);
      expect(answer.status, JSON.stringify(body)).toBe(422);
      expect(answer.body.error).toMatchObject({ code, field });
    }
    const badTest = await api('POST', '/api/webhooks/test', { url: `${target.origin}/x`, event: 'nope' });
    expect(badTest.status).toBe(422);
    expect(badTest.body.error).toMatchObject({ code: 'unknown_event', field: 'event' });
    expect((await api('POST', '/api/webhooks/test', { event: unsubscribe })).body.error.field).toBe('url');
    expect(target.requests).toHaveLength(0);
  });

  test('the Cyrillic сomplaint is accepted and normalised', async (context) => {
    const { api } = await startWebhooksApi(context, backend);
    const target = await receiver(context);
    const url = `${target.origin}/complaints`;
    const cyrillic = '\u0441omplaint';
    const tested = await api('POST', '/api/webhooks/test', { url, event: cyrillic });
    expect(tested.body.sent.event).toBe('complaint');
    const saved = await api('PUT', '/api/webhooks', { events: { [cyrillic]: url } });
    expect(saved.status).toBe(200);
    expect(Object.keys(saved.body.events)).toEqual(['complaint']);
    const twice = await api('PUT', '/api/webhooks', { events: { [cyrillic]: url, complaint: url } });
    expect(twice.status).toBe(422);
    expect(twice.body.error.field).toBe('events.complaint');
  });
});
