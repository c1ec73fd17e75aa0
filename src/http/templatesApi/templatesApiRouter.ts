/**
 * @module The templates API router (mount at `/api`, before the admin router): stored message
 * templates, lint, and render (one message as JSON or `.eml`, or an NDJSON batch streamed both
 * ways). It has its own bearer check and body handling because it reads bodies the admin router's
 * cannot: templates up to 512 KB (JSON up to 2 MB, escaped), and NDJSON streams of any length that
 * must never be buffered. Requests to other paths pass through untouched.
 */
import { availableParallelism } from 'node:os';
import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { MessageTemplateError, type MessageTemplates } from '../../messageTemplates/index.js';
import type { KeyRing } from '../../links/index.js';
import type { Store } from '../../store/index.js';
import { createAuditRecorder } from '../audit/index.js';
import { adminTokenVerifier, requireAdminToken, type AdminTokenVerifier } from '../admin/index.js';
import { HttpError, sendApiProblem, toHttpProblem } from '../errors.js';
import { renderThreads, type MessageRenderer } from './renderThreads.js';
import { renderRoutes } from './renderRoutes.js';
import { templatesRoutes } from './templatesRoutes.js';

/** Largest JSON body of the templates API: a 512 KB template escaped as JSON fits. */
export const templatesBodyLimit = '2mb';

/** Options of `templatesApiRouter`. */
export interface TemplatesApiOptions {
  store: Store;
  messageTemplates: MessageTemplates;
  keyRing: KeyRing;
  /** Public base of the links; a function when it is known only after listening. */
  baseUrl: string | (() => string);
  /** UNSUB_MAIL_FROM: the `.eml` sender when a request names none. */
  mailFrom?: string | undefined;
  /** The admin token, or a verifier of it. */
  adminToken: string | AdminTokenVerifier;
  /** Clock (ms) for the links' issued-at and the `.eml` date; default `Date.now`. */
  now?: () => number;
  /** Receives unexpected (500) errors; default `console`. */
  logger?: Pick<Console, 'error'>;
  /**
   * Where NDJSON batches and single JSON renders run: `renderThreads({ threads, keyRing })` (threads
   * started at the first render, stopped after a minute without one) or `localRenderer(keyRing)` (the
   * request's thread). Default: render threads, one per core available, at most 4. The caller that
   * passes one closes it.
   */
  renderer?: MessageRenderer;
}

const ownPath = (path: string) =>
  path === '/render' || path === '/templates' || path.startsWith('/templates/');
const batchPath = /^\/templates\/[^/]+\/render$/;

/** The templates API as an Express router. */
export function templatesApiRouter(options: TemplatesApiOptions): Router {
  const verify =
    typeof options.adminToken === 'string'
      ? adminTokenVerifier({ token: options.adminToken })
      : options.adminToken;
  const logger = options.logger ?? console;
  const context: TemplatesApiContext = {
    ...options,
    now: options.now ?? Date.now,
    renderer:
      options.renderer ??
      renderThreads({ threads: Math.min(4, availableParallelism()), keyRing: options.keyRing }),
    baseUrl:
      typeof options.baseUrl === 'string' ? ((() => options.baseUrl) as () => string) : options.baseUrl,
  };

  const router = Router();
  router.use((req, res, next) => {
    if (!ownPath(req.path)) return next('router');
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.use(requireAdminToken(verify));
  // Saves, new versions, activations and deletions go into the audit log like every admin change;
  // lint and render change nothing.
  router.use(
    createAuditRecorder({
      store: options.store,
      now: context.now,
      skip: (req) => req.path === '/render' || req.path === '/templates/lint' || batchPath.test(req.path),
      onError: (error) => logger.error('unsub: an audit entry could not be written:', error),
    }),
  );
  router.use(express.json({ limit: templatesBodyLimit }));
  const bodyRequired: RequestHandler = (req, _res, next) => {
    if (!['POST', 'PUT', 'PATCH'].includes(req.method) || req.body !== undefined || batchPath.test(req.path))
      return next();
    const length = Number(req.headers['content-length'] ?? 0);
    if (req.headers['transfer-encoding'] === undefined && !(length > 0)) {
      req.body = {};
      return next();
    }
    next(
      new HttpError('unsupported_media_type', 'send the body as JSON with "Content-Type: application/json"', {
        status: 415,
        field: 'Content-Type',
      }),
    );
  };
  router.use(bodyRequired);
  router.use(templatesRoutes(context));
  router.use(renderRoutes(context));
  router.use((req, _res, next) => {
    next(new HttpError('not_found', `there is no admin API route ${req.method} ${req.baseUrl}${req.path}`));
  });

  const answer: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof MessageTemplateError && error.code === 'invalid_template') {
      res.status(422).json({
        error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) },
        errors: error.problems,
        warnings: [],
      });
      return;
    }
    const problem = toHttpProblem(error, 'api');
    if (problem.unexpected) logger.error(`unsub: ${req.method} ${req.originalUrl} failed:`, error);
    sendApiProblem(res, problem);
  };
  router.use(answer);
  return router;
}

/** What the route files get. */
export type TemplatesApiContext = Omit<TemplatesApiOptions, 'now' | 'baseUrl'> & {
  now: () => number;
  baseUrl: () => string;
  renderer: MessageRenderer;
};
