/** @module Tests of `retry-after` parsing: seconds, HTTP dates, junk and the cap. */
import { describe, expect, it } from 'vitest';
import { maxRetryAfterMs, parseRetryAfter } from './index.js';

const now = Date.UTC(2025, 0, 1, 12, 0, 0);

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter(['7', '9'], now)).toBe(7000);
  });

  it('reads an HTTP date relative to now; a past date means now', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 12:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('Wednesday, 01-Jan-25 12:00:10 GMT', now)).toBe(10_000);
  });

  it('caps at 24 h', () => {
    expect(parseRetryAfter('999999999', now)).toBe(maxRetryAfterMs);
    expect(parseRetryAfter('Fri, 01 Jan 2100 00:00:00 GMT', now)).toBe(maxRetryAfterMs);
  });

  it.each([undefined, '', '-5', '1.5', '10s', 'soon', '2025-01-01T12:00:10Z', 'Wed, 99 Foo 2025'])(
    'ignores %j',
    (value) => {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    },
  );
});
