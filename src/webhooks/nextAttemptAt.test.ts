/** @module Tests of the retry schedule, jitter, retry-after and exhaustion. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maxRetryAfterMs, nextAttemptAt, retrySchedule } from './index.js';

const now = 1_000_000;
const middle = () => 0.5;
const s = 1000;
const m = 60 * s;
const h = 60 * m;

describe('nextAttemptAt', () => {
  it('follows now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then gives up', () => {
    expect(retrySchedule).toEqual([0, 5 * s, 5 * m, 30 * m, 2 * h, 5 * h, 10 * h, 10 * h]);
    const delays = retrySchedule.map((_, attempt) => (nextAttemptAt(attempt, now, middle) ?? NaN) - now);
    expect(delays).toEqual([...retrySchedule]);
    expect(nextAttemptAt(8, now, middle)).toBeNull();
    expect(nextAttemptAt(100, now, middle)).toBeNull();
  });

  it('jitters by ±20 %', () => {
    expect(nextAttemptAt(1, now, () => 0)).toBe(now + 4 * s);
    expect(nextAttemptAt(1, now, () => 0.999999)).toBe(now + 6 * s);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const base = retrySchedule[attempt] ?? 0;
          const delay = (nextAttemptAt(attempt, now, () => r) ?? NaN) - now;
          expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
          expect(delay).toBeLessThanOrEqual(Math.ceil(base * 1.2));
        },
      ),
    );
  });

  it('never retries before retry-after, caps it at 24 h, and adds no attempts', () => {
    expect(nextAttemptAt(1, now, middle, retrySchedule, 60 * s)).toBe(now + 60 * s);
    expect(nextAttemptAt(2, now, middle, retrySchedule, 60 * s)).toBe(now + 5 * m);
    expect(nextAttemptAt(1, now, middle, retrySchedule, 7 * 24 * h)).toBe(now + maxRetryAfterMs);
    expect(nextAttemptAt(8, now, middle, retrySchedule, 1000)).toBeNull();
  });

  it('takes a compressed schedule', () => {
    const fast = [0, 50, 100];
    expect(nextAttemptAt(2, now, middle, fast)).toBe(now + 100);
    expect(nextAttemptAt(3, now, middle, fast)).toBeNull();
  });

  it('refuses a negative or fractional attempt number', () => {
    expect(() => nextAttemptAt(-1, now, middle)).toThrow(RangeError);
    expect(() => nextAttemptAt(1.5, now, middle)).toThrow(RangeError);
  });
});
