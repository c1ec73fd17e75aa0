/** @module Tests of test-before-save: one event type, the common URL (every type), failures. */
import { afterEach, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type ReceiverHandler } from '../../test/support/webhookReceiver.js';
import { eventSamples, eventTypes } from '../events/index.js';
import {
  createAddressPolicy,
  createWebhookSender,
  generateSecret,
  testWebhookUrl,
  verifyWebhook,
  verifyWebhookDelivery,
} from './index.js';

const secret = generateSecret();
const opened: { close(): Promise<void> }[] = [];

async function setup(handler?: ReceiverHandler, allow = ['127.0.0.0/8']) {
  const receiver = await startWebhookReceiver(handler);
  const sender = createWebhookSender({ policy: createAddressPolicy({ allow }), timeoutMs: 2000 });
  opened.push(sender, receiver);
  return { receiver, sender, url: `${receiver.origin}/hooks` };
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((item) => item.close()));
});

describe('testWebhookUrl', () => {
  it('sends the sample of one event type, signed like a real delivery', async () => {
    const { receiver, sender, url } = await setup((_req, res) => res.writeHead(200).end('ok'));
    const result = await testWebhookUrl({ url, event: 'mailing group unsubscribe', sender, secrets: secret });
    expect(result).toMatchObject({
      ok: true,
      status: 200,
      response_excerpt: 'ok',
      sent: eventSamples['mailing group unsubscribe'],
    });
    expect(result.error).toBeUndefined();
    const [request] = receiver.requests;
    expect(request?.body).toBe(JSON.stringify(eventSamples['mailing group unsubscribe']));
    expect(request?.headers['webhook-id']).toMatch(/^msg_test_[A-Za-z0-9_-]{16}$/);
    expect(verifyWebhook(secret, request?.headers ?? {}, request?.body ?? '')).toEqual(
      eventSamples['mailing group unsubscribe'],
    );
    // The sequence headers too: seq 0 (below every real event), time = when it was sent.
    const before = Date.now();
    const again = await testWebhookUrl({
      url,
      event: 'contact adding',
      sender,
      secrets: secret,
      now: () => before,
    });
    expect(again.ok).toBe(true);
    const delivery = verifyWebhookDelivery(
      secret,
      receiver.requests[1]?.headers ?? {},
      receiver.requests[1]?.body ?? '',
    );
    expect(delivery).toMatchObject({ seq: 0, time: new Date(before) });
  });

  it('sends every sample, in catalog order, for the common URL', async () => {
    const { receiver, sender, url } = await setup();
    const result = await testWebhookUrl({ url, sender, secrets: [secret, generateSecret()] });
    expect(result.ok).toBe(true);
    expect(result.status).toBe(204);
    expect(result.sent).toEqual(eventTypes.map((type) => eventSamples[type]));
    expect(result.attempts.map((attempt) => attempt.event)).toEqual([...eventTypes]);
    expect(receiver.requests.map((request) => JSON.parse(request.body).event)).toEqual([...eventTypes]);
    const ids = new Set(receiver.requests.map((request) => request.headers['webhook-id']));
    expect(ids.size).toBe(eventTypes.length);
  });

  it('stops at the first failure of the common URL and reports it', async () => {
    const { receiver, sender, url } = await setup((req, res) => {
      if (req.body.includes('"message open"')) res.writeHead(500).end('down');
      else res.writeHead(204).end();
    });
    const result = await testWebhookUrl({ url, sender, secrets: secret });
    expect(result).toMatchObject({ ok: false, status: 500, response_excerpt: 'down' });
    expect(result.attempts.map((attempt) => [attempt.event, attempt.ok])).toEqual([
      ['message sent', true],
      ['delivery bounce', true],
      ['message open', false],
    ]);
    expect(receiver.requests).toHaveLength(3);
  });

  it.each([
    [301, 'a redirect'],
    [404, 'a client error'],
  ])('fails on %i (%s)', async (status) => {
    const { sender, url } = await setup((_req, res) => res.writeHead(status, { location: '/x' }).end());
    const result = await testWebhookUrl({ url, event: 'complaint', sender, secrets: secret });
    expect(result).toMatchObject({ ok: false, status });
  });

  it('fails with the reason when the address is refused', async () => {
    const { sender, url, receiver } = await setup(undefined, []);
    const result = await testWebhookUrl({ url, event: 'contact adding', sender, secrets: secret });
    expect(result).toMatchObject({
      ok: false,
      status: null,
      response_excerpt: '',
      sent: eventSamples['contact adding'],
      error: { code: 'address_refused' },
    });
    expect(result.error?.message).toContain('UNSUB_WEBHOOK_ALLOW');
    expect(receiver.requests).toHaveLength(0);
  });

  it('fails when the receiver does not answer within the timeout', async () => {
    const receiver = await startWebhookReceiver(() => undefined);
    const sender = createWebhookSender({
      policy: createAddressPolicy({ allow: ['127.0.0.1'] }),
      timeoutMs: 100,
    });
    opened.push(sender, receiver);
    const result = await testWebhookUrl({
      url: receiver.origin,
      event: 'message sent',
      sender,
      secrets: secret,
    });
    expect(result).toMatchObject({ ok: false, status: null, error: { code: 'timeout' } });
  });
});
