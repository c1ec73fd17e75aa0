/**
 * @module Tests of signing, checked by the independent `standardwebhooks` package: our signatures
 * verify there, and a changed body, id or a stale timestamp fails there and with our verifier.
 */
import { Webhook, WebhookVerificationError as TheirError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { eventSamples } from '../events/index.js';
import {
  decodeSecret,
  generateSecret,
  signWebhook,
  verifyWebhook,
  WebhookVerificationError,
} from './index.js';

const body = JSON.stringify(eventSamples['mailing group unsubscribe']);
const nowSeconds = () => Math.floor(Date.now() / 1000);

function sign(secret: string, overrides: { id?: string; timestamp?: number } = {}) {
  return signWebhook({
    id: overrides.id ?? 'msg_2x7f',
    timestamp: overrides.timestamp ?? nowSeconds(),
    body,
    secrets: secret,
  });
}

describe('signWebhook against standardwebhooks', () => {
  it('produces signatures the independent verifier accepts', () => {
    const secret = generateSecret();
    const headers = sign(secret);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(
      eventSamples['mailing group unsubscribe'],
    );
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(verifyWebhook(secret, headers, body)).toEqual(eventSamples['mailing group unsubscribe']);
  });

  it('matches their signer byte for byte', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const timestamp = 1_700_000_000;
    const theirs = new Webhook(secret).sign('msg_p5jXN8AQM9LWM0D4loKWxJek', new Date(timestamp * 1000), body);
    const ours = signWebhook({ id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp, body, secrets: secret });
    expect(ours['webhook-signature']).toBe(theirs);
  });

  it('signs a byte body the same as its text', () => {
    const secret = generateSecret();
    const a = signWebhook({ id: 'msg_1', timestamp: 1, body, secrets: secret });
    const b = signWebhook({
      id: 'msg_1',
      timestamp: 1,
      body: new TextEncoder().encode(body),
      secrets: secret,
    });
    expect(a).toEqual(b);
  });

  it.each([
    [
      'a changed body',
      (h: Record<string, string>) => ({ headers: h, body: body.replace('"group_id":4', '"group_id":5') }),
    ],
    ['a changed id', (h: Record<string, string>) => ({ headers: { ...h, 'webhook-id': 'msg_other' }, body })],
  ])('fails with %s, with both verifiers', (_name, tamper) => {
    const secret = generateSecret();
    const tampered = tamper({ ...sign(secret) });
    expect(() => new Webhook(secret).verify(tampered.body, tampered.headers)).toThrow(TheirError);
    expect(() => verifyWebhook(secret, tampered.headers, tampered.body)).toThrow(
      expect.objectContaining({ code: 'bad_signature' }),
    );
  });

  it('fails with a stale timestamp, with both verifiers', () => {
    const secret = generateSecret();
    const stale = sign(secret, { timestamp: nowSeconds() - 10 * 60 });
    expect(() => new Webhook(secret).verify(body, { ...stale })).toThrow(/too old/i);
    expect(() => verifyWebhook(secret, stale, body)).toThrow(
      expect.objectContaining({ code: 'timestamp_too_old' }),
    );
  });

  it('fails with another secret, with both verifiers', () => {
    const headers = sign(generateSecret());
    const other = generateSecret();
    expect(() => new Webhook(other).verify(body, { ...headers })).toThrow(TheirError);
    expect(() => verifyWebhook(other, headers, body)).toThrow(WebhookVerificationError);
  });

  it('signs with every secret during a rotation; each verifies alone', () => {
    const [oldSecret, newSecret] = [generateSecret(), generateSecret()];
    const headers = signWebhook({
      id: 'msg_r',
      timestamp: nowSeconds(),
      body,
      secrets: [oldSecret, newSecret],
    });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [oldSecret, newSecret]) {
      expect(new Webhook(secret).verify(body, { ...headers })).toBeTruthy();
      expect(verifyWebhook(secret, headers, body).event).toBe('mailing group unsubscribe');
    }
  });
});

describe('secrets', () => {
  it('generates whsec_ + base64 of 32 random bytes, different each time', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(decodeSecret(secret)).toHaveLength(32);
    expect(generateSecret()).not.toBe(secret);
  });

  it.each(['', 'whsec_', 'whsec_not base64!', 'whsec_c2hvcnQ=', 'whsec_abc'])(
    'refuses the secret %j',
    (secret) => {
      expect(() => signWebhook({ id: 'msg_1', timestamp: 1, body, secrets: secret })).toThrow(
        expect.objectContaining({ code: 'invalid_secret' }),
      );
    },
  );

  it('refuses an empty secret list, an id with spaces and a fractional timestamp', () => {
    const secret = generateSecret();
    expect(() => signWebhook({ id: 'msg_1', timestamp: 1, body, secrets: [] })).toThrow(
      /at least one secret/,
    );
    expect(() => signWebhook({ id: 'msg 1', timestamp: 1, body, secrets: secret })).toThrow(
      /printable ASCII/,
    );
    expect(() => signWebhook({ id: 'msg_1', timestamp: 1.5, body, secrets: secret })).toThrow(
      /whole seconds/,
    );
  });
});
