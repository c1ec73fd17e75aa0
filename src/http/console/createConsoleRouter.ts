/**
 * @module `createConsoleRouter`: the sender's console, an Express router mounted at `/` — sign-in
 * with the admin token, Settings ➔ Webhooks, Deliveries, Settings ➔ Unsubscribe pages, Groups and
 * Contacts as server-rendered pages with a small progressive script — plus the generated OpenAPI
 * document and its page (`/api/openapi.json`, `/api/docs`, public).
 */
import { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import type { KeyRing } from '../../links/index.js';
import type { MessageTemplates } from '../../messageTemplates/index.js';
import type { Store } from '../../store/index.js';
import type { Subscriptions } from '../../subscriptions/index.js';
import type { WebhookSettings } from '../../webhooks/index.js';
import type { AdminTokenVerifier } from '../admin/index.js';
import { basePathOf } from '../createApp.js';
import { createPages } from '../createPages.js';
import { errorPageKey, isApiRequest, toHttpProblem, type HttpProblem } from '../errors.js';
import { openApiRouter } from '../openapi/index.js';
import { brandingRoutes } from './brandingRoutes.js';
import { consoleHome, i18nOf, redirectTo, sendPage, type ConsoleContext } from './consoleContext.js';
import { createSessionManager } from './consoleSession.js';
import { createConsoleViews } from './consoleViews.js';
import { contactsRoutes } from './contactsRoutes.js';
import { deliveriesRoutes } from './deliveriesRoutes.js';
import { groupsRoutes } from './groupsRoutes.js';
import { retentionRoutes } from './retentionRoutes.js';
import { signInRoutes } from './signInRoutes.js';
import { templatesRoutes } from './templatesRoutes.js';
import { webhookSettingsRoutes } from './webhookSettingsRoutes.js';
import { requestIdOf, routePatternOf } from '../requestLog/index.js';
import { createFailureThrottle } from '../throttle/index.js';
import { createAuditRecorder } from '../audit/index.js';
import { auditRoutes } from './auditRoutes.js';
import { dashboardRoutes } from './dashboardRoutes.js';

/**
 * The catalog texts of a console error page: the public error pages' (`error.404`, …) where they fit
 * a console too; a 400 there speaks of links and a 429 of sign-in, so those have console texts.
 */
function consoleErrorKey(problem: HttpProblem): string {
  if (problem.status === 429) return 'console.error.tooMany';
  const key = errorPageKey(problem);
  if (key === '400') return 'console.error.badRequest';
  if (key === '410') return 'error.404';
  return `error.${key}`;
}

/** Options of {@link createConsoleRouter}. */
export interface ConsoleRouterOptions {
  store: Store;
  /** The subscription commands (group creation and membership changes emit their events). */
  subscriptions: Subscriptions;
  /** The webhook settings service (`createWebhookSettings`), the same one `/api/webhooks` uses. */
  webhookSettings: WebhookSettings;
  /** Signs a contact's own links on its page. */
  keyRing: KeyRing;
  /** Public base URL (UNSUB_BASE_URL): its path prefixes every console URL and the cookie path. */
  baseUrl: string;
  /** The admin token check of the API (`resolveAdminToken(...).verify`, or `adminTokenVerifier`). */
  verifyAdminToken: AdminTokenVerifier;
  /** HS256 key of the session cookies (≥ 32 bytes); default random per process. */
  sessionKey?: Uint8Array;
  /** Clock in ms (session expiry, settings timestamps); default `Date.now`. */
  now?: () => number;
  /** Always mark the session cookie Secure; otherwise only when the request is https (`req.secure`). */
  secureCookies?: boolean;
  /** The app's confirmation default (UNSUB_CONFIRM), shown and previewed when the branding has none. */
  confirm?: boolean;
  /** Told when deliveries became due by Retry, Replay or Enable, e.g. `() => dispatcher.wake()`. */
  wake?: () => void;
  /** UNSUB_RETENTION_DAYS, shown on Settings ➔ Retention and used when nothing is saved there (default 30). */
  retentionDays?: number;
  /** UNSUB_AUDIT_RETENTION_DAYS, shown on Settings ➔ Retention (0 keeps the audit log; default 365). */
  auditRetentionDays?: number;
  /** Receives unexpected errors of console pages; default `console`. */
  logger?: Pick<Console, 'error'>;
  /** Stored message templates (the same service as `/api/templates`); default one over `store`. */
  messageTemplates?: MessageTemplates;
  /**
   * In front of `POST /signin`: 429 after too many wrong tokens from one address. Share one with the
   * admin API (`createFailureThrottle`); default: one of its own.
   */
  throttle?: RequestHandler;
}

/**
 * The console router. Mount it at `/` BEFORE the admin API router (whose bearer check covers all of
 * `/api`), so `/api/openapi.json` and `/api/docs` stay public. Reads and compiles its views at once.
 */
export function createConsoleRouter(options: ConsoleRouterOptions): Router {
  const now = options.now ?? Date.now;
  const basePath = basePathOf(options.baseUrl);
  const logger = options.logger ?? console;
  const views = createConsoleViews({ basePath });
  const context: ConsoleContext = {
    store: options.store,
    subscriptions: options.subscriptions,
    webhookSettings: options.webhookSettings,
    keyRing: options.keyRing,
    baseUrl: options.baseUrl,
    basePath,
    now,
    views,
    sessions: createSessionManager({
      ...(options.sessionKey ? { sessionKey: options.sessionKey } : {}),
      now,
      secureCookies: options.secureCookies ?? false,
      cookiePath: basePath === '' ? '/' : basePath,
    }),
    publicPages: createPages({ basePath }),
    wake: options.wake ?? (() => undefined),
  };

  const router = Router();
  // Every change through the console is recorded; /api requests pass on to the admin router's own.
  router.use(
    createAuditRecorder({
      store: options.store,
      now,
      sessionIdOf: async (req) => (await context.sessions.read(req))?.sid,
      skip: isApiRequest,
      onError: (error) => logger.error('unsub: an audit entry could not be written:', error),
    }),
  );
  for (const asset of views.assets) {
    router.get(asset.path, (_req, res) => {
      res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      res.type(asset.type).send(asset.body);
    });
  }
  router.get(['/console', '/settings'], (_req, res) => {
    redirectTo(context, res, consoleHome);
  });
  router.post('/signin', options.throttle ?? createFailureThrottle({ now }).middleware);
  router.use(signInRoutes(context, options.verifyAdminToken));
  router.use(dashboardRoutes(context));
  router.use(auditRoutes(context));
  router.use(webhookSettingsRoutes(context));
  router.use(deliveriesRoutes(context));
  router.use(brandingRoutes(context, options.confirm ?? true));
  router.use(groupsRoutes(context));
  router.use(contactsRoutes(context));
  router.use(
    templatesRoutes(context, options.messageTemplates ? { messageTemplates: options.messageTemplates } : {}),
  );
  router.use(retentionRoutes(context, options.retentionDays ?? 30, options.auditRetentionDays ?? 365));
  router.use(openApiRouter({ stylesheetHref: views.assets[0]?.href ?? '', serverUrl: options.baseUrl }));

  // Errors of console pages as console pages (signed in: with the navigation); `/api` errors go on
  // to the app's JSON error handler.
  const consoleErrors: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (isApiRequest(req) || res.headersSent) return next(error);
    const problem = toHttpProblem(error, 'page');
    if (problem.unexpected)
      logger.error(
        `unsub: console ${req.method} ${routePatternOf(req)} failed (request ${requestIdOf(req)}):`,
        error,
      );
    if (problem.headers) res.set(problem.headers);
    const key = consoleErrorKey(problem);
    sendPage(
      context,
      res,
      'error',
      { title: `${key}.title` },
      { heading: i18nOf(context, res).t(`${key}.title`), message: i18nOf(context, res).t(`${key}.message`) },
      problem.status,
    );
  };
  router.use(consoleErrors);
  return router;
}
