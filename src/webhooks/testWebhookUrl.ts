/**
 * @module Test-before-save: POST the sample body of an event type (or of every type, for the common
 * URL) to a URL, signed like a real delivery, and report whether it passed. Backs
 * `POST /api/webhooks/test` and `unsub webhooks test`.
 */
import { randomBytes } from 'node:crypto';
import { eventSamples, eventTypes, type EventType, type MailingEvent } from '../events/index.js';
import type { SendErrorCode } from './classifyResponse.js';
import type { WebhookSender } from './createWebhookSender.js';
import { eventSequenceHeaders } from './eventSequenceHeaders.js';
import { signWebhook } from './signWebhook.js';

/** What to test. */
export interface TestWebhookUrlInput {
  url: string;
  /** The event type whose sample is sent; omitted for the common URL (every type, in catalog order). */
  event?: EventType;
  sender: WebhookSender;
  /** The endpoint's secret(s), as a real delivery would be signed. */
  secrets: string | readonly string[];
  /** The wall clock in milliseconds, for `webhook-timestamp` (default `Date.now`). */
  now?: () => number;
}

/** One request of a test. */
export interface WebhookTestAttempt {
  event: EventType;
  ok: boolean;
  status: number | null;
  duration_ms: number;
  error?: { code: SendErrorCode; message: string };
}

/**
 * The result, in the JSON shape of `POST /api/webhooks/test`. For one event type: that request.
 * For the common URL: the samples go one by one and the test stops at the first failure; `ok` is
 * true only when every request got a 2xx, `status`/`response_excerpt`/`error` are those of the last
 * request made (the failing one, if any), `duration_ms` is the total, `sent` the bodies sent, and
 * `attempts` lists each request.
 */
export interface WebhookTestResult {
  ok: boolean;
  status: number | null;
  duration_ms: number;
  response_excerpt: string;
  /** The body sent (one event type) or the bodies sent, in order (common URL). */
  sent: MailingEvent | MailingEvent[];
  /** Why the last request got no (complete) response, e.g. a refused private address. */
  error?: { code: SendErrorCode; message: string };
  attempts: WebhookTestAttempt[];
}

/** Sends the sample(s) and reports; never throws for the target's behaviour (a bad secret does). */
export async function testWebhookUrl({
  url,
  event,
  sender,
  secrets,
  now = Date.now,
}: TestWebhookUrlInput): Promise<WebhookTestResult> {
  const types = event === undefined ? eventTypes : [event];
  const sent: MailingEvent[] = [];
  const attempts: WebhookTestAttempt[] = [];
  let last: { status: number | null; excerpt: string; error?: WebhookTestAttempt['error'] } = {
    status: null,
    excerpt: '',
  };
  for (const type of types) {
    const sample = eventSamples[type] as MailingEvent;
    const body = JSON.stringify(sample);
    const id = `msg_test_${randomBytes(12).toString('base64url')}`;
    const at = now();
    const headers = signWebhook({ id, timestamp: Math.floor(at / 1000), body, secrets });
    // As on a real delivery; seq 0 is below every real event, so a receiver keeping the highest
    // seq per contact never lets a sample overwrite real state.
    const result = await sender.send({ url, headers: { ...headers, ...eventSequenceHeaders(0, at) }, body });
    const ok =
      result.error === undefined &&
      result.status !== undefined &&
      result.status >= 200 &&
      result.status < 300;
    sent.push(sample);
    attempts.push({
      event: type,
      ok,
      status: result.status ?? null,
      duration_ms: result.durationMs,
      ...(result.error ? { error: result.error } : {}),
    });
    last = {
      status: result.status ?? null,
      excerpt: result.responseExcerpt,
      ...(result.error ? { error: result.error } : {}),
    };
    if (!ok) break;
  }
  return {
    ok: attempts.length === types.length && attempts.every((attempt) => attempt.ok),
    status: last.status,
    duration_ms: attempts.reduce((total, attempt) => total + attempt.duration_ms, 0),
    response_excerpt: last.excerpt,
    sent: event === undefined ? sent : (sent[0] as MailingEvent),
    ...(last.error ? { error: last.error } : {}),
    attempts,
  };
}
