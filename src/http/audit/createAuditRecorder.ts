/**
 * @module `createAuditRecorder`: a middleware that, when a state-changing request (POST, PUT, PATCH,
 * DELETE) has been answered with a success (< 400), appends one audit entry: time, method, route
 * PATTERN (`/api/contacts/:id`, never the path), status, the client's address and the console
 * session's short id. Nothing from the body, headers or URL is kept, so no token, secret or
 * recipient address can reach the log. A refused request changed nothing and is not recorded (the
 * request log has it). Writing happens after the response, and a failed write is reported, never
 * turned into a failed request.
 */
import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Store } from '../../store/index.js';
import { routePatternOf } from '../requestLog/index.js';

/** Options of {@link createAuditRecorder}. */
export interface AuditRecorderOptions {
  store: Pick<Store, 'appendAudit'>;
  /** Clock in ms for the entries' time (default `Date.now`). */
  now?: () => number;
  /** The request's console session id (a raw `sid`), if any; default: none (the admin API). */
  sessionIdOf?: (req: Request) => Promise<string | undefined>;
  /** Requests not to record here (e.g. the console router passes `/api` on to the admin router). */
  skip?: (req: Request) => boolean;
  /** Told when an entry could not be written. */
  onError?: (error: unknown) => void;
}

const changing = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The short, non-secret id of a console session shown in the audit log: the session's random id is
 * what its CSRF token is derived from, so only a hash of it is kept.
 */
export function auditSessionId(sid: string): string {
  return `s_${createHash('sha256').update(`audit:${sid}`).digest('base64url').slice(0, 12)}`;
}

/** The audit middleware (see the module comment). */
export function createAuditRecorder(options: AuditRecorderOptions): RequestHandler {
  const now = options.now ?? Date.now;
  const onError =
    options.onError ?? ((error: unknown) => console.error('unsub: audit entry not written:', error));
  return (req, res, next) => {
    if (!changing.has(req.method) || options.skip?.(req)) {
      next();
      return;
    }
    // Read the session before the route runs: sign-out ends it, and it names who acted.
    const session = options.sessionIdOf?.(req).catch(() => undefined);
    const at = now();
    res.once('finish', () => {
      if (res.statusCode >= 400) return;
      void (async () => {
        const sid = await session;
        await options.store.appendAudit({
          at,
          method: req.method,
          route: routePatternOf(req),
          status: res.statusCode,
          sourceAddress: req.ip ?? req.socket.remoteAddress ?? 'unknown',
          sessionId: sid ? auditSessionId(sid) : null,
        });
      })().catch(onError);
    });
    next();
  };
}
