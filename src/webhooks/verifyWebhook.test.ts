/** @module Tests of the receivers' verifier: header forms, every error code, the injected clock. */
import { describe, expect, it } from 'vitest';
import { eventSamples } from '../events/index.js';
import {
  eventSequenceHeaders,
  generateSecret,
  signWebhook,
  verifyWebhook,
  verifyWebhookDelivery,
  WebhookVerificationError,
  type WebhookVerificationCode,
} from './index.js';

const secret = generateSecret();
const t0 = 1_750_000_000;
const now = () => t0 * 1000;

function signed(payload: unknown, timestamp = t0) {
  const body = JSON.stringify(payload);
  return { body, headers: signWebhook({ id: 'msg_v', timestamp, body, secrets: secret }) };
}

function codeOf(run: () => unknown): WebhookVerificationCode | undefined {
  try {
    run();
  } catch (error) {
    return (error as { code?: WebhookVerificationCode }).code;
  }
  return undefined;
}

describe('verifyWebhook', () => {
  it('accepts a plain object with any header case, a Headers instance and a byte body', () => {
    const { body, headers } = signed(eventSamples['contact adding']);
    const upper = Object.fromEntries(
      Object.entries(headers).map(([key, value]) => [key.toUpperCase(), value]),
    );
    expect(verifyWebhook(secret, upper, body, { now })).toEqual(eventSamples['contact adding']);
    expect(verifyWebhook(secret, new Headers(headers), body, { now }).event).toBe('contact adding');
    expect(verifyWebhook(secret, headers, Buffer.from(body), { now }).event).toBe('contact adding');
  });

  it('accepts any of several secrets and any of several signatures', () => {
    const { body, headers } = signed(eventSamples.complaint);
    const withJunk = { ...headers, 'webhook-signature': `v2,abc v1,AAAA ${headers['webhook-signature']}` };
    expect(verifyWebhook([generateSecret(), secret], withJunk, body, { now }).event).toBe('complaint');
  });

  it('normalises the Cyrillic complaint of a signed body', () => {
    const { body, headers } = signed({ ...eventSamples.complaint, event: '\u0441omplaint' });
    expect(verifyWebhook(secret, headers, body, { now })).toEqual(eventSamples.complaint);
  });

  it('says which headers are missing', () => {
    const { body, headers } = signed(eventSamples.complaint);
    const { 'webhook-timestamp': _t, ...rest } = headers;
    expect(() => verifyWebhook(secret, rest, body, { now })).toThrow(/missing header webhook-timestamp/);
    expect(codeOf(() => verifyWebhook(secret, {}, body, { now }))).toBe('missing_headers');
  });

  it('refuses a malformed timestamp before computing anything', () => {
    const { body, headers } = signed(eventSamples.complaint);
    expect(
      codeOf(() => verifyWebhook(secret, { ...headers, 'webhook-timestamp': '17e8' }, body, { now })),
    ).toBe('malformed_headers');
  });

  it('applies the tolerance both ways, with the injected clock', () => {
    const old = signed(eventSamples.complaint, t0 - 301);
    const edge = signed(eventSamples.complaint, t0 - 300);
    const future = signed(eventSamples.complaint, t0 + 301);
    expect(codeOf(() => verifyWebhook(secret, old.headers, old.body, { now }))).toBe('timestamp_too_old');
    expect(verifyWebhook(secret, edge.headers, edge.body, { now }).event).toBe('complaint');
    expect(codeOf(() => verifyWebhook(secret, future.headers, future.body, { now }))).toBe(
      'timestamp_in_future',
    );
    expect(verifyWebhook(secret, old.headers, old.body, { now, toleranceSeconds: 600 }).event).toBe(
      'complaint',
    );
  });

  it('refuses a correctly signed body that is not a catalog event', () => {
    const notJson = 'not json';
    const headers = signWebhook({ id: 'msg_x', timestamp: t0, body: notJson, secrets: secret });
    expect(codeOf(() => verifyWebhook(secret, headers, notJson, { now }))).toBe('invalid_event');
    const wrong = signed({ ...eventSamples['message sent'], message_id: -1 });
    expect(() => verifyWebhook(secret, wrong.headers, wrong.body, { now })).toThrow(/message_id/);
  });

  it('checks the signature before the timestamp, so strangers learn nothing about our clock', () => {
    const old = signed(eventSamples.complaint, t0 - 10_000);
    expect(codeOf(() => verifyWebhook(generateSecret(), old.headers, old.body, { now }))).toBe(
      'bad_signature',
    );
  });
});

describe('verifyWebhookDelivery', () => {
  it('returns the event, id, timestamp and the parsed unsub-event-seq / unsub-event-time', () => {
    const { body, headers } = signed(eventSamples['mailing group subscribe']);
    const sequence = eventSequenceHeaders(4711, Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    expect(sequence).toEqual({ 'unsub-event-seq': '4711', 'unsub-event-time': '2026-01-02T03:04:05.678Z' });
    expect(verifyWebhookDelivery(secret, { ...headers, ...sequence }, body, { now })).toEqual({
      event: eventSamples['mailing group subscribe'],
      id: 'msg_v',
      timestamp: t0,
      seq: 4711,
      time: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)),
    });
    // Another Standard Webhooks sender: no sequence headers, null.
    expect(verifyWebhookDelivery(secret, headers, body, { now })).toMatchObject({ seq: null, time: null });
  });

  it('refuses a malformed sequence header, naming it (they are not signed, but must parse)', () => {
    const { body, headers } = signed(eventSamples['mailing group subscribe']);
    const refused = (extra: Record<string, string>) => {
      try {
        verifyWebhookDelivery(secret, { ...headers, ...extra }, body, { now });
      } catch (error) {
        return error instanceof WebhookVerificationError ? [error.code, error.field] : error;
      }
      return undefined;
    };
    expect(refused({ 'unsub-event-seq': '-1' })).toEqual(['malformed_headers', 'unsub-event-seq']);
    expect(refused({ 'unsub-event-time': 'yesterday' })).toEqual(['malformed_headers', 'unsub-event-time']);
    expect(refused({ 'unsub-event-time': '2026-01-02T03:04:05+01:00' })).toBeUndefined();
  });
});
