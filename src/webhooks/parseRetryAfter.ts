/**
 * @module Parsing the `retry-after` response header (RFC 9110 §10.2.3): delay-seconds or an HTTP date.
 */
import { maxRetryAfterMs } from './nextAttemptAt.js';

/**
 * The delay a `retry-after` header asks for, in milliseconds, capped at 24 h; `undefined` when the
 * header is absent or unreadable. A date in the past means "now" (0).
 * @param now The current time in milliseconds (for the HTTP-date form).
 */
export function parseRetryAfter(
  value: string | readonly string[] | undefined,
  now: number,
): number | undefined {
  const text = (Array.isArray(value) ? value[0] : (value as string | undefined))?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, maxRetryAfterMs);
  // Only the IMF-fixdate form and its obsolete siblings look like this; refuse bare numbers-with-junk.
  if (!/^[A-Za-z]{3,9},? /.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(at - now, 0), maxRetryAfterMs);
}
