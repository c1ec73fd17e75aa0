/**
 * @module What the dispatcher records after one attempt: the delivery's new status and next time,
 * and whether the endpoint is disabled — a pure function of the attempt's result, the retry
 * schedule and the endpoint's failure run.
 */
import type { ClaimedDelivery, CompleteAttemptInput } from '../store/index.js';
import { classifyResponse, type AttemptOutcome } from './classifyResponse.js';
import type { SendResult } from './createWebhookSender.js';
import { nextAttemptAt, retrySchedule } from './nextAttemptAt.js';
import { disableAfterMs, shouldDisableEndpoint } from './shouldDisableEndpoint.js';

/**
 * How an attempt ended, for metrics: `succeeded`; `retry` (another attempt is scheduled); `failed`
 * (permanent failure, or the schedule is exhausted); `disabled` (the endpoint was disabled by it).
 */
export type AttemptResultLabel = 'succeeded' | 'retry' | 'failed' | 'disabled';

/** Inputs of {@link decideAttempt}. */
export interface DecideAttemptInput {
  delivery: Pick<ClaimedDelivery, 'attempts' | 'endpointFirstFailureAt'>;
  result: SendResult;
  /** When the attempt ended (ms). */
  now: number;
  random: () => number;
  schedule?: readonly number[];
  /** The 5-day rule's window (compressed in tests). */
  disableAfterMs?: number;
}

/** The decision: the `completeAttempts` fields it sets, plus the metrics label. */
export interface AttemptDecision {
  outcome: CompleteAttemptInput['outcome'];
  nextAttemptAt: number | null;
  disableEndpoint?: 'gone' | 'failing';
  classification: AttemptOutcome;
  label: AttemptResultLabel;
}

/**
 * Decides what one attempt means. Classification by the send error first, then the status:
 * 2xx succeeds; 410 fails the delivery and disables the endpoint (`gone`); 429/5xx/timeouts/resets
 * are retried per the schedule, never before `retry-after`, and fail once it is exhausted; other
 * failures (3xx, 4xx, refused address) fail at once. Any failure while the endpoint has failed
 * for `disableAfterMs` without a success disables it (`failing`); a retry is then parked by the store.
 */
export function decideAttempt({
  delivery,
  result,
  now,
  random,
  schedule = retrySchedule,
  disableAfterMs: windowMs = disableAfterMs,
}: DecideAttemptInput): AttemptDecision {
  const classification = result.error ? classifyResponse(result.error) : classifyResponse(result.status ?? 0);
  if (classification === 'success') {
    return { outcome: 'succeeded', nextAttemptAt: null, classification, label: 'succeeded' };
  }
  if (classification === 'disable') {
    return {
      outcome: 'failed',
      nextAttemptAt: null,
      disableEndpoint: 'gone',
      classification,
      label: 'disabled',
    };
  }
  const failing = shouldDisableEndpoint({
    failingSince: delivery.endpointFirstFailureAt ?? undefined,
    now,
    windowMs,
  });
  const next =
    classification === 'retry'
      ? nextAttemptAt(delivery.attempts + 1, now, random, schedule, result.retryAfterMs)
      : null;
  const base =
    next === null
      ? { outcome: 'failed' as const, nextAttemptAt: null, classification, label: 'failed' as const }
      : { outcome: 'pending' as const, nextAttemptAt: next, classification, label: 'retry' as const };
  return failing ? { ...base, disableEndpoint: 'failing', label: 'disabled' } : base;
}
