/**
 * @module Security headers on every response: a CSP without inline script or style, no framing, no
 * MIME sniffing and no Referer (link tokens are in the URLs, and a Referer would hand them to the
 * logo's host or the sender's redirect target).
 */
import type { Response } from 'express';

/**
 * The Content-Security-Policy of the app. `form-action` lists where our forms may submit: 'self',
 * plus — on a confirm page whose POST answers 303 to the sender's page — that page's origin, since
 * browsers apply `form-action` to the redirects that follow a form submission too.
 */
export function contentSecurityPolicy(extraFormActions: readonly string[] = []): string {
  const formAction = ["'self'", ...extraFormActions].join(' ');
  return (
    "default-src 'none'; style-src 'self'; img-src https: data:; " +
    `form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`
  );
}

/** The origin of an absolute http(s) URL as a CSP source (`https://example.com:8443`), or undefined. */
export function cspOrigin(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
    // URL.origin is scheme://host[:port] with the host punycoded: no spaces, quotes or semicolons.
    return parsed.origin;
  } catch {
    return undefined;
  }
}

const defaultPolicy = contentSecurityPolicy();

/** Headers set once per response; precomputed so the hot path only copies them. */
const fixedHeaders: [string, string][] = [
  ['Content-Security-Policy', defaultPolicy],
  ['X-Frame-Options', 'DENY'],
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
];

/** Sets the security headers of every response (the app's first middleware does, after the request id). */
export function setSecurityHeaders(res: Response): void {
  for (const [name, value] of fixedHeaders) res.setHeader(name, value);
}

/**
 * Ends a response with an HTML page (its text, or its UTF-8 bytes from `Pages.renderBytes`). Plain
 * `res.end` instead of Express's `res.send`: the pages are no-store and per recipient, so send's
 * ETag and freshness checks would be wasted on the hot path. (HEAD responses drop the body by
 * themselves.)
 */
export function sendHtml(res: Response, html: string | Buffer): void {
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', typeof html === 'string' ? Buffer.byteLength(html) : html.length);
  res.end(html);
}

/** Marks a response carrying a link token: never cached, never indexed. */
export function setTokenPageHeaders(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Robots-Tag', 'noindex, nofollow');
}
