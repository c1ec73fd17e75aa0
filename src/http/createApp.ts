/**
 * @module `createApp`: the Express 5 app of unsub — security headers, the stylesheet, `/healthz`, the
 * public link pages (`/u/:token`, `/m/:token`), a hook where the admin API (`/api`) and later the
 * dispatcher's routes mount, then the 404 and the one error handler (`errors.ts`).
 */
import express, { type Express, type RequestHandler } from 'express';
import { bundledTranslators, isSupportedLocale, negotiateLocale, type Locale } from '../i18n/index.js';
import type { KeyRing } from '../links/index.js';
import type { Store } from '../store/index.js';
import type { Subscriptions } from '../subscriptions/index.js';
import { listenWithAppServer } from './createAppServer.js';
import { createPages } from './createPages.js';
import { createErrorHandler, errorPageKey, notFoundHandler, methodNotAllowed } from './errors.js';
import { setLanguageHeaders, type LinkPageDeps } from './linkPageContext.js';
import { registerManagerRoutes } from './managerRoutes.js';
import { readBranding, type PageBranding } from './pageBranding.js';
import { readFormBody } from './readFormBody.js';
import { createRequestLog } from './requestLog/index.js';
import { setSecurityHeaders } from './securityHeaders.js';
import { registerUnsubscribeRoutes } from './unsubscribeRoutes.js';

/** Options of `createApp`. */
export interface AppOptions {
  store: Store;
  subscriptions: Subscriptions;
  keyRing: KeyRing;
  /** Public base URL of the links (UNSUB_BASE_URL); its path, if any, prefixes asset URLs. */
  baseUrl: string;
  /** Show a confirm page before unsubscribing (default true; the branding's `confirm` overrides). */
  confirm?: boolean;
  /** The clock in ms (token expiry, branding cache); default: the key ring's clock and `Date.now`. */
  now?: () => number;
  /** Where unexpected errors (500) and invalid stored settings are reported; default `console`. */
  logger?: Pick<Console, 'error' | 'warn'>;
  /** The admin API's bearer token (UNSUB_ADMIN_TOKEN), for the router mounted at `/api`. */
  adminToken?: string;
  /** Largest public form body in bytes (default 16 KiB); larger bodies get a 413 page. */
  formLimitBytes?: number;
  /**
   * How long the stored branding is reused, in ms (default 1000). Branding is read on every page;
   * a short cache keeps that query off the hot path while edits still show within a second.
   */
  brandingCacheMs?: number;
  /**
   * Mounts more routes after the public pages and before the 404/error handlers: the dispatcher's
   * `/api/webhooks`, `/api/events`, `/metrics`, the demo preview at `/`. Errors thrown there are
   * answered by the app's error handler (JSON under `/api`, pages elsewhere).
   */
  mount?: (app: Express) => void;
  /**
   * The first middleware: request ids, the request log line and the request-duration histogram
   * (`createRequestLog`). Default: request ids only.
   */
  requestLog?: RequestHandler;
}

/** The path prefix of a base URL: '' for https://example.com, `/unsub` for https://example.com/unsub/. */
export function basePathOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).pathname.replace(/\/+$/, '');
  } catch {
    return '';
  }
}

/** A branding reader that reuses the stored value for `ttlMs`. */
function cachedBranding(options: AppOptions, ttlMs: number, now: () => number): () => Promise<PageBranding> {
  const logger = options.logger ?? console;
  const read = () => readBranding(options.store, (message) => logger.warn(`unsub: ${message}`));
  if (ttlMs <= 0) return read;
  let cached: { value: Promise<PageBranding>; until: number } | undefined;
  return () => {
    const at = now();
    if (!cached || at >= cached.until) {
      const value = read();
      const entry = { value, until: at + ttlMs };
      cached = entry;
      // A failed read must not be cached: the next page asks the store again.
      value.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.value;
  };
}

/**
 * Builds the app. Reads and compiles the page views once (throws at start-up when they are missing).
 * Listen with `app.listen(port)` or `createAppServer(app)`: both serve requests born with the app's
 * prototypes (see `createAppServer.ts`); `http.createServer(app)` works too, at Express's usual
 * cost per request.
 */
export function createApp(options: AppOptions): Express {
  const now = options.now ?? Date.now;
  const logger = options.logger ?? console;
  const pages = createPages({ basePath: basePathOf(options.baseUrl) });
  const translators = bundledTranslators();
  const deps: LinkPageDeps = {
    translators,
    store: options.store,
    subscriptions: options.subscriptions,
    keyRing: options.keyRing,
    pages,
    confirm: options.confirm ?? true,
    nowSeconds: options.now ? () => Math.floor(now() / 1000) : () => undefined,
    branding: cachedBranding(options, options.brandingCacheMs ?? 1000, now),
  };

  const app = express();
  listenWithAppServer(app);
  app.disable('x-powered-by');
  // Pages are per-recipient and no-store: hashing every body for an ETag is wasted work.
  app.set('etag', false);
  // The request log, then the security headers, as ONE middleware: every layer of the router costs
  // each request a match and a dispatch, and these two run for every request anyway.
  const requestLog = options.requestLog ?? createRequestLog({});
  app.use((req, res, next) => {
    requestLog(req, res, (error?: unknown) => {
      if (error === undefined) setSecurityHeaders(res);
      next(error);
    });
  });

  // The link pages first: they are the hot path, and each route before them costs a match.
  // Public forms are tiny (a few checkboxes, or List-Unsubscribe=One-Click): cap them, keep bytes.
  const formBody: RequestHandler = readFormBody(options.formLimitBytes ?? 16 * 1024);
  registerUnsubscribeRoutes(app, deps, formBody);
  registerManagerRoutes(app, deps, formBody);

  const stylesheetBody = Buffer.from(pages.stylesheet, 'utf8');
  app.get(pages.stylesheetPath, (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.type('css').send(stylesheetBody);
  });

  app
    .route('/healthz')
    .get(async (_req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      try {
        await options.store.getSetting('healthz.probe');
      } catch (error) {
        logger.error('unsub: /healthz: the store did not answer:', error);
        res
          .status(503)
          .json({ ok: false, error: { code: 'unavailable', message: 'the store did not answer' } });
        return;
      }
      res.json({ ok: true });
    })
    .all(methodNotAllowed(['GET', 'HEAD']));

  // ── Admin API mount point ──────────────────────────────────────────────────────────────────
  // The admin API (src/http/admin) mounts its router here, e.g.
  //   app.use('/api', createAdminRouter({ store: options.store, subscriptions: options.subscriptions, … }));
  // Errors it throws (or passes to next) are answered as JSON by the error handler below.
  // ─────────────────────────────────────────────────────────────────────────────────────────────

  options.mount?.(app);

  app.use(notFoundHandler);
  app.use(
    createErrorHandler({
      logger,
      // The language a page already chose (e.g. from the link, before its contact turned out gone),
      // else ?lang= and Accept-Language: a bad token has no claim to read, and no detail is shown.
      renderErrorPage: (problem, _title, req, res) => {
        const chosen = (res.locals as { locale?: unknown }).locale;
        const locale: Locale = isSupportedLocale(chosen)
          ? chosen
          : negotiateLocale({ query: req.query.lang, acceptLanguage: req.get('accept-language') }).locale;
        setLanguageHeaders(res, locale);
        const i18n = translators[locale];
        const key = errorPageKey(problem);
        const title = i18n.t(`error.${key}.title`);
        return pages.render('error', { title, i18n }, { title, message: i18n.t(`error.${key}.message`) });
      },
    }),
  );
  return app;
}
