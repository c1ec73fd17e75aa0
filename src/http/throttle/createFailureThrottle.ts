/**
 * @module `createFailureThrottle`: counts the 401 answers each client address gets in a window
 * (default 10 a minute); once an address reaches the limit, its requests to the guarded routes are
 * answered 429 with `Retry-After` until the window ends, whatever token they carry.
 *
 * Only FAILURES count (the 401 is seen when the response finishes), so good tokens never use up
 * anything — however many requests a script sends in parallel — and other addresses are never
 * slowed. Rate-limit libraries that count every request and refund the good ones (e.g.
 * express-rate-limit's `skipSuccessfulRequests`) would refuse an 11th parallel good request, so
 * this is a small counter of our own. The state is per process: with several `unsub serve`
 * processes an address gets `limit` tries at each of them, which still caps guessing at a handful
 * of tries a minute against a 24+ character token.
 */
import type { RequestHandler } from 'express';
import { HttpError } from '../errors.js';

/** Options of {@link createFailureThrottle}. */
export interface FailureThrottleOptions {
  /** Wrong tokens an address may send per window (default 10). */
  limit?: number;
  /** The window in ms, starting at an address's first failure (default 60 s). */
  windowMs?: number;
  /** Addresses remembered at most (default 10,000; the oldest are forgotten first). */
  maxAddresses?: number;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
}

/** A throttle: its middleware goes in front of the routes that check a token. */
export interface FailureThrottle {
  middleware: RequestHandler;
  /** Failures counted for `address` in its current window (tests, diagnostics). */
  failuresOf(address: string): number;
}

/** Marks a response already watched, so a throttle mounted in front of two routers counts it once. */
const watched = Symbol('unsub.failureThrottle');

interface Window {
  failures: number;
  endsAt: number;
}

/** Creates a throttle (see the module comment). */
export function createFailureThrottle(options: FailureThrottleOptions = {}): FailureThrottle {
  const limit = options.limit ?? 10;
  const windowMs = options.windowMs ?? 60_000;
  const maxAddresses = options.maxAddresses ?? 10_000;
  const now = options.now ?? Date.now;
  const windows = new Map<string, Window>();

  const current = (address: string, at: number): Window | undefined => {
    const window = windows.get(address);
    if (window && at >= window.endsAt) {
      windows.delete(address);
      return undefined;
    }
    return window;
  };

  const recordFailure = (address: string) => {
    const at = now();
    const window = current(address, at);
    if (window) {
      window.failures += 1;
      return;
    }
    if (windows.size >= maxAddresses) {
      for (const [key, old] of windows) if (at >= old.endsAt) windows.delete(key);
      // Still full: forget the oldest (Map keeps insertion order).
      while (windows.size >= maxAddresses) {
        const oldest = windows.keys().next();
        if (oldest.done) break;
        windows.delete(oldest.value);
      }
    }
    windows.set(address, { failures: 1, endsAt: at + windowMs });
  };

  const middleware: RequestHandler = (req, res, next) => {
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const at = now();
    const window = current(address, at);
    if (window && window.failures >= limit) {
      const seconds = Math.max(1, Math.ceil((window.endsAt - at) / 1000));
      next(
        new HttpError('too_many_attempts', `too many wrong tokens from this address; retry in ${seconds} s`, {
          headers: { 'Retry-After': String(seconds) },
        }),
      );
      return;
    }
    const marked = res as typeof res & { [watched]?: true };
    if (!marked[watched]) {
      marked[watched] = true;
      res.once('finish', () => {
        if (res.statusCode === 401) recordFailure(address);
      });
    }
    next();
  };

  return { middleware, failuresOf: (address) => current(address, now())?.failures ?? 0 };
}
