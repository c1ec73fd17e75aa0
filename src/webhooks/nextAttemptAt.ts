/**
 * @module The retry policy as data plus one pure function: when the next attempt of a delivery is
 * due, with jitter so that a recovering endpoint is not hit by every retry at the same instant.
 */

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;

/**
 * Delay before each attempt, in milliseconds: attempt 1 at once, then 5 s, 5 min, 30 min, 2 h, 5 h,
 * 10 h, 10 h (8 attempts over about 28 hours). `schedule[n]` is the delay after attempt `n`.
 */
export const retrySchedule: readonly number[] = Object.freeze([
  0,
  5 * second,
  5 * minute,
  30 * minute,
  2 * hour,
  5 * hour,
  10 * hour,
  10 * hour,
]);

/** Jitter: a delay is multiplied by a factor in [1 − 0.2, 1 + 0.2). */
export const retryJitter = 0.2;

/** The longest `retry-after` we honour; a receiver cannot park a delivery for longer. */
export const maxRetryAfterMs = 24 * hour;

/**
 * When attempt `attempt + 1` of a delivery is due, or `null` when the schedule is exhausted.
 *
 * @param attempt How many attempts were already made (0 for a new delivery, whose first attempt is
 *   due after `schedule[0]`, i.e. now).
 * @param now The current time in milliseconds.
 * @param random A source of [0, 1) numbers (inject a fixed one in tests).
 * @param schedule The delays, `schedule[n]` before attempt `n + 1` (a test configuration compresses it).
 * @param retryAfterMs The receiver's `retry-after`, in milliseconds: the next attempt is never
 *   earlier (capped at {@link maxRetryAfterMs}); it does not add attempts.
 */
export function nextAttemptAt(
  attempt: number,
  now: number,
  random: () => number,
  schedule: readonly number[] = retrySchedule,
  retryAfterMs?: number,
): number | null {
  if (!Number.isInteger(attempt) || attempt < 0)
    throw new RangeError(`attempt must be a whole number ≥ 0, got ${attempt}`);
  const base = schedule[attempt];
  if (base === undefined) return null;
  const jittered = base * (1 - retryJitter + 2 * retryJitter * random());
  const floor = retryAfterMs !== undefined && retryAfterMs > 0 ? Math.min(retryAfterMs, maxRetryAfterMs) : 0;
  return now + Math.round(Math.max(jittered, floor));
}
