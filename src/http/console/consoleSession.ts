/**
 * @module The console's sign-in session: a jose-signed JWT (HS256, 12 h) in an HttpOnly,
 * SameSite=Strict cookie, and the per-session CSRF token every state-changing form carries.
 *
 * Why the CSRF token is an HMAC of the session id (a "signed double submit"): the server keeps no
 * session table, yet a token is only valid beside the one cookie it was derived from, so a token
 * seen by an attacker in another session (or before a sign-out) is useless. Sign-out also revokes
 * the session id in this process, so a copied cookie stops working at once.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { SignJWT, jwtVerify } from 'jose';

/** How long a session lasts. */
export const sessionLifetimeMs = 12 * 60 * 60 * 1000;

/** The session cookie's name. */
export const sessionCookieName = 'unsub_console';

/** What a valid session cookie says. */
export interface ConsoleSession {
  /** Random id of this session (the JWT's `jti`); the CSRF token is bound to it. */
  sid: string;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
  /** The form token of this session. */
  csrfToken: string;
}

/** Options of `createSessionManager`. */
export interface SessionManagerOptions {
  /** HS256 key, at least 32 bytes; default: random per process (sessions end on restart). */
  sessionKey?: Uint8Array;
  now: () => number;
  /** Always mark the cookie Secure (behind a TLS proxy that Express is not told to trust). */
  secureCookies?: boolean;
  /** Cookie path: the app's base path (`/` at the root). */
  cookiePath: string;
}

/** Signs, reads, ends sessions and checks form tokens. */
export interface SessionManager {
  /** Starts a session: sets the cookie. */
  start(req: Request, res: Response): Promise<ConsoleSession>;
  /** The request's valid session, or undefined (no cookie, bad signature, expired, signed out). */
  read(req: Request): Promise<ConsoleSession | undefined>;
  /** Ends a session: revokes its id here and clears the cookie. */
  end(req: Request, res: Response, session: ConsoleSession | undefined): void;
  /** True when `token` is the form token of `session` (constant time). */
  checkCsrf(session: ConsoleSession, token: unknown): boolean;
}

/** The value of one cookie of a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Creates the session manager of one console router. */
export function createSessionManager(options: SessionManagerOptions): SessionManager {
  const key = options.sessionKey ?? new Uint8Array(randomBytes(32));
  if (key.byteLength < 32) throw new Error('createConsoleRouter: sessionKey must be at least 32 bytes');
  const keyBuffer = Buffer.from(key);
  const { now } = options;
  /** Signed-out session ids until their expiry (bounded by what 12 h of sign-outs produce). */
  const revoked = new Map<string, number>();

  const csrfFor = (sid: string) => createHmac('sha256', keyBuffer).update(`csrf:${sid}`).digest('base64url');

  const cookie = (req: Request, value: string, maxAgeSeconds: number) => {
    const secure = options.secureCookies === true || req.secure;
    return [
      `${sessionCookieName}=${value}`,
      `Path=${options.cookiePath}`,
      `Max-Age=${maxAgeSeconds}`,
      'HttpOnly',
      'SameSite=Strict',
      ...(secure ? ['Secure'] : []),
    ].join('; ');
  };

  const forgetExpired = (at: number) => {
    for (const [sid, until] of revoked) if (until <= at) revoked.delete(sid);
  };

  return {
    async start(req, res) {
      const sid = randomBytes(18).toString('base64url');
      const issuedAt = now();
      const expiresAt = issuedAt + sessionLifetimeMs;
      const jwt = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject('admin')
        .setAudience('unsub-console')
        .setJti(sid)
        .setIssuedAt(Math.floor(issuedAt / 1000))
        .setExpirationTime(Math.floor(expiresAt / 1000))
        .sign(key);
      res.append('Set-Cookie', cookie(req, jwt, Math.floor(sessionLifetimeMs / 1000)));
      return { sid, expiresAt, csrfToken: csrfFor(sid) };
    },

    async read(req) {
      const jwt = readCookie(req.get('cookie'), sessionCookieName);
      if (!jwt) return undefined;
      try {
        const { payload } = await jwtVerify(jwt, key, {
          algorithms: ['HS256'],
          audience: 'unsub-console',
          subject: 'admin',
          currentDate: new Date(now()),
          requiredClaims: ['jti', 'exp'],
        });
        const sid = payload.jti as string;
        if (revoked.has(sid)) return undefined;
        return { sid, expiresAt: (payload.exp as number) * 1000, csrfToken: csrfFor(sid) };
      } catch {
        // Every jose failure (malformed, bad signature, expired, wrong claims) is simply "no session".
        return undefined;
      }
    },

    end(req, res, session) {
      if (session) {
        forgetExpired(now());
        revoked.set(session.sid, session.expiresAt);
      }
      res.append('Set-Cookie', cookie(req, '', 0));
    },

    checkCsrf(session, token) {
      if (typeof token !== 'string' || token.length === 0 || token.length > 100) return false;
      const expected = Buffer.from(session.csrfToken);
      const presented = Buffer.from(token);
      return presented.length === expected.length && timingSafeEqual(presented, expected);
    },
  };
}
