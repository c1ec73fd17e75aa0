/**
 * @module The admin API's bearer-token check: a verifier compares a presented token with the
 * configured one (or only its stored SHA-256) in constant time, and `requireAdminToken` is the
 * middleware that answers 401 with `WWW-Authenticate: Bearer` when the token is missing or wrong.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from '../errors.js';

/** Tells whether a presented token is the admin token. Must run in constant time. */
export type AdminTokenVerifier = (presented: string) => boolean;

/** The SHA-256 of a token as 64 lower-case hex digits (what `unsub serve` stores in the settings). */
export function hashAdminToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * A verifier for the plaintext token (`{ token }`, e.g. `UNSUB_ADMIN_TOKEN`) or for a stored hash
 * (`{ sha256 }` from `hashAdminToken`). Both sides are hashed to 32 bytes before `timingSafeEqual`,
 * so neither the token's content nor its length leaks through timing.
 * @throws Error (programmer error) on an empty token or a hash that is not 64 hex digits.
 */
export function adminTokenVerifier(expected: { token: string } | { sha256: string }): AdminTokenVerifier {
  let digest: Buffer;
  if ('token' in expected) {
    if (expected.token.length === 0) throw new Error('adminTokenVerifier: the admin token must not be empty');
    digest = createHash('sha256').update(expected.token, 'utf8').digest();
  } else {
    if (!/^[0-9a-f]{64}$/i.test(expected.sha256)) {
      throw new Error('adminTokenVerifier: sha256 must be 64 hex digits (see hashAdminToken)');
    }
    digest = Buffer.from(expected.sha256, 'hex');
  }
  return (presented) => timingSafeEqual(createHash('sha256').update(presented, 'utf8').digest(), digest);
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +([^\s]+) *$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Middleware: lets a request through only with the right bearer token; otherwise a 401
 * `unauthorized` error (answered by `http/errors.ts`) with `WWW-Authenticate: Bearer realm="unsub"`,
 * plus `error="invalid_token"` when a token was presented, as RFC 6750 asks.
 */
export function requireAdminToken(verify: AdminTokenVerifier): RequestHandler {
  return (req, _res, next) => {
    const token = bearerToken(req.get('authorization'));
    if (token !== undefined && verify(token)) {
      next();
      return;
    }
    const missing = token === undefined;
    next(
      new HttpError(
        'unauthorized',
        missing
          ? 'send the admin token as "Authorization: Bearer <UNSUB_ADMIN_TOKEN>"'
          : 'the admin token is not valid',
        {
          status: 401,
          field: 'Authorization',
          headers: {
            'WWW-Authenticate': missing
              ? 'Bearer realm="unsub"'
              : 'Bearer realm="unsub", error="invalid_token"',
          },
        },
      ),
    );
  };
}
