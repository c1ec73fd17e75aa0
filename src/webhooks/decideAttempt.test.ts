/** @module Unit tests of `decideAttempt`: what each kind of attempt result leads to. */
import { describe, expect, test } from 'vitest';
import type { SendResult } from './createWebhookSender.js';
import { decideAttempt } from './decideAttempt.js';

const now = 1_700_000_000_000;
const half = () => 0.5; // no jitter: factor 1
const fresh = { attempts: 0, endpointFirstFailureAt: null };
const status = (code: number, extra: Partial<SendResult> = {}): SendResult => ({
  status: code,
  durationMs: 5,
  responseExcerpt: '',
  ...extra,
});

describe('decideAttempt', () => {
  test('2xx succeeds', () => {
    expect(decideAttempt({ delivery: fresh, result: status(204), now, random: half })).toMatchObject({
      outcome: 'succeeded',
      nextAttemptAt: null,
      label: 'succeeded',
    });
  });

  test('5xx, 429 and network errors retry per the schedule', () => {
    const schedule = [0, 100, 1000];
    expect(
      decideAttempt({ delivery: fresh, result: status(503), now, random: half, schedule }),
    ).toMatchObject({
      outcome: 'pending',
      nextAttemptAt: now + 100,
      label: 'retry',
    });
    const reset: SendResult = {
      durationMs: 1,
      responseExcerpt: '',
      error: { code: 'connection_reset', message: 'x' },
    };
    expect(
      decideAttempt({ delivery: { ...fresh, attempts: 1 }, result: reset, now, random: half, schedule }),
    ).toMatchObject({ outcome: 'pending', nextAttemptAt: now + 1000 });
    // The schedule is exhausted after its last entry: failed.
    expect(
      decideAttempt({
        delivery: { ...fresh, attempts: 2 },
        result: status(500),
        now,
        random: half,
        schedule,
      }),
    ).toMatchObject({ outcome: 'failed', nextAttemptAt: null, label: 'failed' });
  });

  test('retry-after is honoured as a floor', () => {
    const decision = decideAttempt({
      delivery: fresh,
      result: status(429, { retryAfterMs: 7_000 }),
      now,
      random: half,
      schedule: [0, 100, 200],
    });
    expect(decision).toMatchObject({ outcome: 'pending', nextAttemptAt: now + 7_000 });
  });

  test('an error wins over a status (body timed out after the headers)', () => {
    const decision = decideAttempt({
      delivery: fresh,
      result: status(200, { error: { code: 'timeout', message: 'slow body' } }),
      now,
      random: half,
    });
    expect(decision.outcome).toBe('pending');
  });

  test('3xx and 4xx fail at once; 410 also disables the endpoint', () => {
    expect(decideAttempt({ delivery: fresh, result: status(302), now, random: half })).toMatchObject({
      outcome: 'failed',
      label: 'failed',
    });
    expect(
      decideAttempt({ delivery: fresh, result: status(400), now, random: half }).disableEndpoint,
    ).toBeUndefined();
    expect(decideAttempt({ delivery: fresh, result: status(410), now, random: half })).toMatchObject({
      outcome: 'failed',
      disableEndpoint: 'gone',
      label: 'disabled',
    });
  });

  test('an endpoint failing for the whole window is disabled; a retry stays pending for the store to park', () => {
    const delivery = { attempts: 0, endpointFirstFailureAt: now - 5 * 86_400_000 };
    expect(decideAttempt({ delivery, result: status(500), now, random: half })).toMatchObject({
      outcome: 'pending',
      disableEndpoint: 'failing',
      label: 'disabled',
    });
    const recent = { attempts: 0, endpointFirstFailureAt: now - 1000 };
    expect(
      decideAttempt({ delivery: recent, result: status(500), now, random: half }).disableEndpoint,
    ).toBeUndefined();
    expect(
      decideAttempt({ delivery: recent, result: status(500), now, random: half, disableAfterMs: 500 })
        .disableEndpoint,
    ).toBe('failing');
  });
});
