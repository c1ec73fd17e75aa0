/**
 * @module Verifying a received webhook, for receivers: Standard Webhooks signature and timestamp
 * checks, then typed parsing of the event body (and, with `verifyWebhookDelivery`, of the
 * unsigned `unsub-event-seq` / `unsub-event-time` headers).
 */
import { timingSafeEqual } from 'node:crypto';
import { UnsubError } from '../errors/index.js';
import { parseEvent, type MailingEvent } from '../events/index.js';
import {
  eventSeqHeader,
  eventTimeHeader,
  parseEventSequence,
  type EventSequence,
} from './eventSequenceHeaders.js';
import { computeSignature, decodeSecret } from './signWebhook.js';

/** Why a received webhook was refused. */
export type WebhookVerificationCode =
  | 'missing_headers'
  | 'malformed_headers'
  | 'bad_signature'
  | 'timestamp_too_old'
  | 'timestamp_in_future'
  | 'invalid_event';

/** A received webhook that must not be trusted; `code` says why (answer it with a 400). */
export class WebhookVerificationError extends UnsubError<WebhookVerificationCode> {}

/** Request headers as a plain object (node:http's `req.headers`) or a fetch-style `Headers`. */
export type WebhookHeadersInput =
  | {
      /** A header's value by name (case-insensitive), or null. */
      get(name: string): string | null;
    }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /** The clock, in milliseconds (default `Date.now`). */
  now?: () => number;
  /** How far the timestamp may be from now, either way (default 300 s, as Standard Webhooks). */
  toleranceSeconds?: number;
}

function readHeader(headers: WebhookHeadersInput, name: string): string | undefined {
  if (typeof headers.get === 'function')
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(' ') : (value as string | undefined);
}

function sameSignature(expected: string, received: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(received);
  // timingSafeEqual needs equal lengths; the length of a valid signature is public anyway.
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A verified delivery: its event, Standard Webhooks id and timestamp, and unsub's sequence headers. */
export interface VerifiedWebhook extends EventSequence {
  event: MailingEvent;
  /** `webhook-id`: the same on every retry of one delivery (deduplicate on it). */
  id: string;
  /** `webhook-timestamp` in seconds: the time of this attempt, not of the event. */
  timestamp: number;
}

/**
 * Verifies a webhook we (or any Standard Webhooks sender) signed and returns its typed event.
 * `body` must be the raw request body, before any JSON parsing. Several `secrets` are tried in
 * turn (for a receiver in the middle of a rotation). {@link verifyWebhookDelivery} returns the
 * headers parsed as well (`unsub-event-seq`, `unsub-event-time`).
 * @throws WebhookVerificationError with a code naming the problem.
 * @throws WebhookSecretError when the secret itself is malformed (a configuration error).
 */
export function verifyWebhook(
  secrets: string | readonly string[],
  headers: WebhookHeadersInput,
  body: string | Uint8Array,
  options: VerifyWebhookOptions = {},
): MailingEvent {
  return verifyWebhookDelivery(secrets, headers, body, options).event;
}

/**
 * As {@link verifyWebhook}, returning `{ event, id, timestamp, seq, time }`. `seq` and `time` come
 * from headers the signature does not cover (see `eventSequenceHeaders.ts`); absent ones are null,
 * a present but malformed one is refused (`malformed_headers`, `field` names the header).
 * @throws WebhookVerificationError with a code naming the problem.
 * @throws WebhookSecretError when the secret itself is malformed (a configuration error).
 */
export function verifyWebhookDelivery(
  secrets: string | readonly string[],
  headers: WebhookHeadersInput,
  body: string | Uint8Array,
  { now = Date.now, toleranceSeconds = 300 }: VerifyWebhookOptions = {},
): VerifiedWebhook {
  const keys = (typeof secrets === 'string' ? [secrets] : secrets).map(decodeSecret);
  const id = readHeader(headers, 'webhook-id');
  const timestamp = readHeader(headers, 'webhook-timestamp');
  const signature = readHeader(headers, 'webhook-signature');
  if (!id || !timestamp || !signature) {
    const missing = [
      !id && 'webhook-id',
      !timestamp && 'webhook-timestamp',
      !signature && 'webhook-signature',
    ];
    throw new WebhookVerificationError(
      'missing_headers',
      `missing header ${missing.filter(Boolean).join(', ')}: this is not a signed webhook`,
    );
  }
  if (!/^\d{1,15}$/.test(timestamp)) {
    throw new WebhookVerificationError(
      'malformed_headers',
      'webhook-timestamp must be whole seconds since the epoch',
      {
        field: 'webhook-timestamp',
      },
    );
  }
  // Only v1 (symmetric) signatures exist in our scheme; other versions are ignored, per the spec.
  const received = signature.split(' ').filter((part) => part.startsWith('v1,'));
  const matches = keys.some((key) => {
    const expected = computeSignature(key, id, timestamp, body);
    return received.some((candidate) => sameSignature(expected, candidate));
  });
  if (!matches) {
    throw new WebhookVerificationError(
      'bad_signature',
      'no webhook-signature matches the secret and the body',
      {
        field: 'webhook-signature',
      },
    );
  }
  const age = Math.floor(now() / 1000) - Number(timestamp);
  if (age > toleranceSeconds) {
    throw new WebhookVerificationError('timestamp_too_old', `webhook-timestamp is ${age} s old (replay?)`, {
      field: 'webhook-timestamp',
    });
  }
  if (-age > toleranceSeconds) {
    throw new WebhookVerificationError(
      'timestamp_in_future',
      `webhook-timestamp is ${-age} s in the future`,
      {
        field: 'webhook-timestamp',
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  } catch (cause) {
    throw new WebhookVerificationError('invalid_event', 'the webhook body is not JSON', { cause });
  }
  const parsed = parseEvent(json);
  if (!parsed.ok) {
    const first = parsed.issues[0];
    throw new WebhookVerificationError(
      'invalid_event',
      `the webhook body is not a catalog event: ${first?.path.join('.') || 'body'}: ${first?.message ?? 'invalid'}`,
      { field: first?.path.join('.') },
    );
  }
  const sequence = parseEventSequence(
    readHeader(headers, eventSeqHeader),
    readHeader(headers, eventTimeHeader),
  );
  if (!sequence.ok) {
    throw new WebhookVerificationError('malformed_headers', sequence.message, { field: sequence.field });
  }
  return { event: parsed.event, id, timestamp: Number(timestamp), ...sequence.value };
}
