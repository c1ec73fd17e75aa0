/**
 * @module The admin API router (mounted at `/api`): bearer-token check first, then JSON bodies,
 * then the group, contact and page-settings routes. It answers its own errors and unknown paths as
 * JSON through `http/errors.ts`, so it behaves the same whether or not the app's handler follows.
 */
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import type { Store } from '../../store/index.js';
import type { Subscriptions } from '../../subscriptions/index.js';
import { HttpError, sendApiProblem, toHttpProblem } from '../errors.js';
import { adminTokenVerifier, requireAdminToken, type AdminTokenVerifier } from './adminTokenVerifier.js';
import { contactsRoutes } from './contactsRoutes.js';
import { groupsRoutes } from './groupsRoutes.js';
import { inboundSmsRoutes } from './inboundSmsRoutes.js';
import { pageSettingsRoutes } from './pageSettingsRoutes.js';
import { requestIdOf, routePatternOf } from '../requestLog/index.js';
import { createFailureThrottle } from '../throttle/index.js';
import { createAuditRecorder } from '../audit/index.js';
import { statsRoutes } from '../stats/index.js';

/** Largest admin request body. Contacts with many extra fields fit easily; imports use the CLI. */
export const adminBodyLimit = '256kb';

/** Options of `createAdminRouter`. */
export interface AdminRouterOptions {
  store: Store;
  subscriptions: Subscriptions;
  /**
   * The admin token (`UNSUB_ADMIN_TOKEN`), or a verifier — e.g. `adminTokenVerifier({ sha256 })`
   * for a token of which only the hash is stored.
   */
  adminToken: string | AdminTokenVerifier;
  /** Clock for settings timestamps (ms); default `Date.now`. */
  now?: () => number;
  /**
   * More admin routes (e.g. the dispatcher's `/webhooks` and `/events`), mounted behind the same
   * token check and JSON body parsing, before the API's 404. Paths are relative to the mount (`/api`).
   */
  routes?: readonly Router[];
  /** Receives unexpected (500) errors with their stack; default `console`. */
  logger?: Pick<Console, 'error'>;
  /**
   * In front of the token check: 429 after too many wrong tokens from one address. Share one with
   * the console sign-in (`createFailureThrottle`); default: one of its own.
   */
  throttle?: RequestHandler;
}

/** Methods whose requests may carry a body, which must then be JSON. */
const bodyMethods = new Set(['POST', 'PUT', 'PATCH']);

/**
 * True when the request carries body bytes: a chunked body, or a length above 0. Commands such as
 * `POST /deliveries/:id/retry` need no input, so callers may send nothing at all (fetch sends
 * `Content-Length: 0` for a POST without a body, curl `-X POST` no length).
 */
function carriesBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  // Node's parser has already refused a malformed length, so this is a number.
  return Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * The admin API as an Express router, to mount at `/api`. Every route needs
 * `Authorization: Bearer <token>`; bodies are JSON (≤ 256 KB; none at all reads as `{}`); errors are
 * `{ error: { code, message, field? } }` with 401/404/409/413/415/422 as `http/errors.ts` maps them.
 */
export function createAdminRouter(options: AdminRouterOptions): Router {
  const { store, subscriptions } = options;
  const verify =
    typeof options.adminToken === 'string'
      ? adminTokenVerifier({ token: options.adminToken })
      : options.adminToken;
  const now = options.now ?? Date.now;
  const logger = options.logger ?? console;

  const router = Router();
  router.use((_req, res, next) => {
    // Admin answers carry contact data: never cache them anywhere.
    res.set('Cache-Control', 'no-store');
    next();
  });
  // Every change through the API is recorded (method, route pattern, address), whatever its route.
  router.use(
    createAuditRecorder({
      store,
      now,
      onError: (error) => logger.error('unsub: an audit entry could not be written:', error),
    }),
  );
  // An address that sent too many wrong tokens is refused before its token is even looked at.
  router.use(options.throttle ?? createFailureThrottle({ now }).middleware);
  // The token is checked before a body is read, so strangers cannot make the server parse anything.
  router.use(requireAdminToken(verify));
  router.use(express.json({ limit: adminBodyLimit }));
  router.use((req, _res, next) => {
    if (!bodyMethods.has(req.method) || req.body !== undefined) {
      next();
      return;
    }
    // No body at all reads as an empty object, so routes validate it and name the missing field;
    // a body that is present but not JSON (a form, text) is refused.
    if (!carriesBody(req)) {
      req.body = {};
      next();
      return;
    }
    next(
      new HttpError('unsupported_media_type', 'send the body as JSON with "Content-Type: application/json"', {
        status: 415,
        field: 'Content-Type',
      }),
    );
  });
  router.use(groupsRoutes(store, subscriptions));
  router.use(contactsRoutes(store, subscriptions));
  router.use(pageSettingsRoutes(store, now));
  router.use(inboundSmsRoutes(store, subscriptions, now));
  router.use(statsRoutes(store, now));
  for (const routes of options.routes ?? []) router.use(routes);
  router.use((req, _res, next) => {
    next(new HttpError('not_found', `there is no admin API route ${req.method} ${req.baseUrl}${req.path}`));
  });

  const answerAsJson: ErrorRequestHandler = (error: unknown, req, res, next) => {
    const problem = toHttpProblem(error, 'api');
    if (problem.unexpected)
      logger.error(
        `unsub: ${req.method} ${routePatternOf(req)} failed (request ${requestIdOf(req)}):`,
        error,
      );
    if (res.headersSent) return next(error);
    sendApiProblem(res, problem);
  };
  router.use(answerAsJson);
  return router;
}
