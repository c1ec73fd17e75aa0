/**
 * @module Standard Webhooks signing: the `webhook-id`, `webhook-timestamp` and `webhook-signature`
 * headers of one delivery attempt, and `whsec_…` secrets. Checked against the independent
 * `standardwebhooks` package in the tests.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { UnsubError } from '../errors/index.js';

/** A signing secret that is not `whsec_` + base64 of at least 16 bytes. */
export class WebhookSecretError extends UnsubError<'invalid_secret'> {}

/** The three Standard Webhooks headers of one attempt (a type alias, so it is a plain header record). */
export type WebhookSignatureHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

/** What {@link signWebhook} signs. */
export interface SignWebhookInput {
  /** Stable across retries of one delivery, e.g. `msg_…`. */
  id: string;
  /** Seconds since the epoch, fresh for every attempt. */
  timestamp: number;
  /** The exact body bytes that will be sent. */
  body: string | Uint8Array;
  /** One secret, or several during rotation (each signs; the receiver needs any one). */
  secrets: string | readonly string[];
}

const prefix = 'whsec_';
const base64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The HMAC key of a `whsec_…` secret: the base64-decoded part after the prefix. (A bare base64
 * secret is accepted too, as the `standardwebhooks` libraries do.)
 * @throws WebhookSecretError when the secret is not valid base64 of at least 16 bytes.
 */
export function decodeSecret(secret: string): Buffer {
  const cached = decodedSecrets.get(secret);
  if (cached) return cached;
  const key = decodeSecretUncached(secret);
  // The dispatcher signs every attempt with the same few secrets: decode each once. Bounded, since
  // secrets rotate; a full cache simply starts over.
  if (decodedSecrets.size >= maxCachedSecrets) decodedSecrets.clear();
  decodedSecrets.set(secret, key);
  return key;
}

const maxCachedSecrets = 1024;
const decodedSecrets = new Map<string, Buffer>();

function decodeSecretUncached(secret: string): Buffer {
  const encoded = secret.startsWith(prefix) ? secret.slice(prefix.length) : secret;
  const key = base64.test(encoded) && encoded.length % 4 === 0 ? Buffer.from(encoded, 'base64') : undefined;
  if (!key || key.length < 16) {
    throw new WebhookSecretError(
      'invalid_secret',
      'a webhook secret must be "whsec_" followed by base64 of at least 16 random bytes (see generateSecret())',
      { field: 'secret' },
    );
  }
  return key;
}

/** A new signing secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return prefix + randomBytes(32).toString('base64');
}

/** `v1,` + base64 HMAC-SHA256 of `id.timestamp.body` with one decoded key. */
export function computeSignature(
  key: Buffer,
  id: string,
  timestamp: string,
  body: string | Uint8Array,
): string {
  return 'v1,' + createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
}

/**
 * Signs one delivery attempt. Several secrets give several space-separated signatures, so a
 * receiver that still has the old secret keeps verifying during a rotation.
 * @throws WebhookSecretError for a malformed secret or an empty list; a plain Error for a bad id/timestamp.
 */
export function signWebhook({ id, timestamp, body, secrets }: SignWebhookInput): WebhookSignatureHeaders {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  if (list.length === 0) {
    throw new WebhookSecretError('invalid_secret', 'signWebhook needs at least one secret', {
      field: 'secrets',
    });
  }
  // The id goes into a header and is split on '.' by nobody, but spaces or commas would break parsers.
  if (!/^[\x21-\x7e]+$/.test(id))
    throw new Error(`webhook id must be printable ASCII without spaces: "${id}"`);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new Error(`webhook timestamp must be whole seconds since the epoch, got ${timestamp}`);
  }
  const stamp = String(timestamp);
  return {
    'webhook-id': id,
    'webhook-timestamp': stamp,
    'webhook-signature': list
      .map((secret) => computeSignature(decodeSecret(secret), id, stamp, body))
      .join(' '),
  };
}
