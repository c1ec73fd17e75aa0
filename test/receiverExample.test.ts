/**
 * @module Tests of examples/receiver.ts: verifies real signed deliveries, refuses tampered ones, skips
 * duplicates and subscription events older than the state it applied (unsub-event-seq).
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createReceiver } from '../examples/receiver.js';
import { eventSamples, type MailingEvent } from '../src/events/index.js';
import {
  createAddressPolicy,
  createWebhookSender,
  eventSequenceHeaders,
  generateSecret,
  signWebhook,
  testWebhookUrl,
} from '../src/webhooks/index.js';

const secret = generateSecret();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function start() {
  const events: MailingEvent[] = [];
  const server = createReceiver({ secrets: secret, onEvent: (event) => events.push(event) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sender = createWebhookSender({ policy: createAddressPolicy({ allow: ['127.0.0.1'] }) });
  closers.push(
    () => sender.close(),
    () => new Promise<void>((resolve) => server.close(() => resolve())),
  );
  return { events, sender, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

describe('examples/receiver.ts', () => {
  it('verifies and hands over every sample the test-before-save sends', async () => {
    const { events, sender, url } = await start();
    const result = await testWebhookUrl({ url, sender, secrets: secret });
    expect(result.ok).toBe(true);
    expect(events).toEqual(Object.values(eventSamples));
  });

  it('answers 400 with the code for a tampered body and skips a repeated webhook-id', async () => {
    const { events, sender, url } = await start();
    const body = JSON.stringify(eventSamples['message open']);
    const headers = signWebhook({
      id: 'msg_once',
      timestamp: Math.floor(Date.now() / 1000),
      body,
      secrets: secret,
    });
    const tampered = await sender.send({ url, headers, body: body.replace('4', '5') });
    expect(tampered).toMatchObject({ status: 400 });
    expect(JSON.parse(tampered.responseExcerpt)).toMatchObject({ code: 'bad_signature' });
    expect((await sender.send({ url, headers, body })).status).toBe(204);
    expect((await sender.send({ url, headers, body })).status).toBe(204);
    expect(events).toEqual([eventSamples['message open']]);
  });

  it('ignores a subscription event older than the one it applied for that membership (a late replay)', async () => {
    const { events, sender, url } = await start();
    const post = (id: string, event: MailingEvent, seq: number) => {
      const body = JSON.stringify(event);
      const signed = signWebhook({ id, timestamp: Math.floor(Date.now() / 1000), body, secrets: secret });
      return sender.send({ url, headers: { ...signed, ...eventSequenceHeaders(seq, Date.now()) }, body });
    };
    const unsubscribe = eventSamples['mailing group unsubscribe'];
    const subscribe = { ...eventSamples['mailing group subscribe'], email: unsubscribe.email };
    const otherGroup = { ...unsubscribe, group_id: unsubscribe.group_id + 1 };
    expect((await post('msg_new', subscribe, 12)).status).toBe(204);
    // seq 11, same contact and group: stale. seq 10 about another group: applies.
    expect((await post('msg_old', unsubscribe, 11)).status).toBe(204);
    expect((await post('msg_other', otherGroup, 10)).status).toBe(204);
    expect(events).toEqual([subscribe, otherGroup]);
  });
});
