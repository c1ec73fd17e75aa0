/**
 * @module `startServer`: everything `unsub serve` runs in one process — the store, the link key
 * ring, the subscription commands, the app (public pages, `/healthz`, the admin API at `/api`, the
 * demo preview or a small page at `/`) — listening on the configured address, with a graceful
 * shutdown on SIGINT/SIGTERM (stop taking requests, stop background work, then close the store).
 */
import { mkdirSync } from 'node:fs';
import { pino } from 'pino';
import type http from 'node:http';
import type { Express, Router } from 'express';
import type { Config } from '../config/index.js';
import { createEventBus, type EventBus } from '../events/index.js';
import { createApp, createAppServer, createFailureThrottle, createRequestLog } from '../http/index.js';
import { createAdminRouter, type AdminTokenVerifier } from '../http/admin/index.js';
import { createConsoleRouter } from '../http/console/index.js';
import { localRenderer, renderThreads, templatesApiRouter } from '../http/templatesApi/index.js';
import { metricsRoutes, webhooksApiRoutes } from '../http/webhooksApi/index.js';
import { KeyRing } from '../links/index.js';
import { createMessageTemplates } from '../messageTemplates/index.js';
import { openStore, redactUrl, type Store } from '../store/index.js';
import { createSubscriptions, type Subscriptions } from '../subscriptions/index.js';
import { createDemoPreview } from './demo/previewRoutes.js';
import { runningPageHtml } from './demo/previewPage.js';
import { createWebhookParts, type WebhookParts } from './createWebhookParts.js';
import { resolveAdminToken } from './resolveAdminToken.js';
import { resolveSessionKey } from './resolveSessionKey.js';
import { listen, listeningUrl } from './listen.js';
import { ServerError } from './serverError.js';
import { createUnsubscribeMetrics } from './unsubscribeMetrics.js';
import { loggerFromConfig, serverLogFrom, type Logger, type ServerLog } from '../logging/index.js';

/** What the server is made of; handed to the hooks that extend it (the dispatcher, later parts). */
export interface ServerContext {
  config: Config;
  store: Store;
  keyRing: KeyRing;
  subscriptions: Subscriptions;
  /** Committed subscription events are announced here (e.g. to wake the dispatcher). */
  bus: EventBus;
  /** Checks an admin bearer token (UNSUB_ADMIN_TOKEN or the stored hash). */
  verifyAdminToken: AdminTokenVerifier;
  log: ServerLog;
  /** The process's pino logger (the request log writes to it). */
  logger: Logger;
  /** The clock in ms (`Date.now` unless a test injects one). */
  now: () => number;
  /** The webhook sender, settings service, metrics registry and (unless UNSUB_WORKER=false) dispatcher. */
  webhooks: WebhookParts;
}

/** Stops background work started by `onStarted`; awaited on shutdown before the store closes. */
export type StopHook = () => Promise<void> | void;

/** Options of `startServer`. */
export interface StartServerOptions {
  /** Seed demo groups and a demo contact and serve the newsletter preview at `/` (`npm start`). */
  demo?: boolean;
  /**
   * The process's pino logger: request lines, notices, errors. Default: stdout, `UNSUB_LOG` level,
   * `UNSUB_LOG_FORMAT`; silent when only `log` is given.
   */
  logger?: Logger;
  /** Where start-up notices and errors go; default: `logger`. */
  log?: ServerLog;
  /**
   * Where a newly generated admin token is shown, once. It is a credential, so it never goes into
   * the log (which a log platform keeps); default: one line on stderr.
   */
  showAdminToken?: (token: string) => void;
  /** The clock (ms); default `Date.now`. */
  now?: () => number;
  /** Close gracefully on SIGINT/SIGTERM (default true; tests that start several servers pass false). */
  handleSignals?: boolean;
  /** More admin API routes behind the bearer token, e.g. the dispatcher's `/webhooks` (under `/api`). */
  adminRoutes?: (context: ServerContext) => Router[];
  /** More app routes (e.g. `/metrics`, `/settings/webhooks`), mounted before the 404 handler. */
  mount?: (app: Express, context: ServerContext) => void;
  /**
   * Called once the server listens. THE place where the webhook dispatcher starts
   * (`createDispatcher({ store, bus, … }).start()`); return its stop function.
   */
  onStarted?: (context: ServerContext & { url: string }) => Promise<StopHook | void> | StopHook | void;
}

/** A running server. */
export interface RunningServer {
  /** Where it listens, e.g. `http://localhost:8080` (the link base when UNSUB_BASE_URL is unset). */
  url: string;
  port: number;
  /** The base of the links it signs (UNSUB_BASE_URL, or `url` when unset). */
  baseUrl: string;
  context: ServerContext;
  /** The admin token created at this start (shown once); undefined when configured or stored. */
  createdAdminToken: string | undefined;
  /** Stops listening, stops background work, closes the store. Idempotent. */
  close(): Promise<void>;
  /** Resolves when the server has closed (after `close()` or a signal). */
  closed: Promise<void>;
}

/** Shows a new admin token to whoever started the server (stderr, not the log). */
function showOnStderr(token: string): void {
  process.stderr.write(`unsub: admin token (shown once, stored hashed): ${token}\n`);
}

/** How long open requests may finish after a shutdown starts before their connections are cut. */
const shutdownGraceMs = 10_000;

/**
 * Starts unsub: creates the data directory, opens the store (migrations applied), loads or creates
 * the signing key, resolves the admin token (creating and printing one on the first start when
 * UNSUB_ADMIN_TOKEN is unset), builds the app and listens on `config.host:config.port`.
 * @throws ServerError `data_dir_failed`, `listen_failed`, `demo_failed`; StoreError `unavailable`;
 * LinkKeyError for an unreadable keys file. Whatever was opened is closed again.
 */
export async function startServer(config: Config, options: StartServerOptions = {}): Promise<RunningServer> {
  // A caller that brings its own notice log (tests) gets no request lines unless it asks for them.
  const logger = options.logger ?? (options.log ? pino({ level: 'silent' }) : loggerFromConfig(config));
  const log = options.log ?? serverLogFrom(logger);
  const now = options.now ?? Date.now;
  try {
    mkdirSync(config.dataDir, { recursive: true });
  } catch (error) {
    throw new ServerError(
      'data_dir_failed',
      `cannot create UNSUB_DATA_DIR ${config.dataDir}: ${(error as Error).message}`,
      {
        cause: error,
        field: 'UNSUB_DATA_DIR',
      },
    );
  }

  const store = await openStore({
    databaseUrl: config.databaseUrl,
    sqlitePath: config.sqlitePath,
    thread: config.sqliteThread,
  });
  // Created with the app (below): its requests are born with the app's prototypes (createAppServer).
  let server: http.Server | undefined;
  const stops: StopHook[] = [];
  try {
    const keyRing = await KeyRing.load(config.keysFile, {
      create: true,
      maxAgeDays: config.linkMaxAgeDays,
      onCreate: (file) =>
        log.warn(
          `created a new signing key in ${file}; back it up: links signed with it stop working if it is lost`,
        ),
    });
    const admin = await resolveAdminToken(store, config.adminToken, now);
    if (admin.token) {
      (options.showAdminToken ?? showOnStderr)(admin.token);
      log.warn('a new admin token was created and shown once on stderr; it is stored hashed');
    }
    const bus = createEventBus({ onError: (error) => log.error('an event handler failed:', error) });
    const webhooks = createWebhookParts({ config, store, bus, now, logger: log });
    stops.push(() => webhooks.stop());
    const subscriptions = createSubscriptions({
      store,
      bus,
      now,
      onUnsubscribed: createUnsubscribeMetrics(webhooks.registry),
    });
    const sessionKey = await resolveSessionKey(store, now);
    const context: ServerContext = {
      config,
      store,
      keyRing,
      subscriptions,
      bus,
      verifyAdminToken: admin.verify,
      log,
      logger,
      now,
      webhooks,
    };

    // The link base is only known after listening when the port is chosen by the OS (PORT=0).
    let baseUrl = config.baseUrl;
    const preview = options.demo
      ? await createDemoPreview({ store, subscriptions, keyRing, baseUrl: () => baseUrl, now })
      : undefined;
    // One throttle for the console sign-in and the admin API: a guesser gets 10 tries a minute in all.
    const throttle = createFailureThrottle({ now }).middleware;
    const errorLogger = { error: (message: unknown, error?: unknown) => log.error(String(message), error) };
    const messageTemplates = createMessageTemplates({ store, now, baseUrl: config.baseUrl });
    const app = createApp({
      store,
      subscriptions,
      keyRing,
      baseUrl: config.baseUrl,
      confirm: config.confirm,
      now: options.now,
      requestLog: createRequestLog({ logger, registry: webhooks.registry }),
      logger: { ...errorLogger, warn: (message: unknown) => log.warn(String(message)) },
      mount: (mounted) => {
        // The console first: the admin router's bearer check covers all of /api, and the console
        // serves the public /api/openapi.json and /api/docs.
        mounted.use(
          createConsoleRouter({
            store,
            subscriptions,
            webhookSettings: webhooks.settings,
            keyRing,
            baseUrl: config.baseUrl,
            verifyAdminToken: admin.verify,
            sessionKey,
            now,
            confirm: config.confirm,
            retentionDays: config.retentionDays,
            auditRetentionDays: config.auditRetentionDays,
            secureCookies: config.baseUrl.startsWith('https:'),
            wake: webhooks.wake,
            logger: errorLogger,
            throttle,
            messageTemplates,
          }),
        );
        // Before the admin router: it reads its own bodies (512 KB templates, streamed NDJSON).
        // The throttle first: the templates API checks bearer tokens too, so guesses there count.
        // The templates API's render threads belong to the server: they stop with it.
        const renderer =
          config.renderThreads === 0
            ? localRenderer(keyRing)
            : renderThreads({ threads: config.renderThreads, keyRing });
        stops.push(() => renderer.close());
        mounted.use(
          '/api',
          throttle,
          templatesApiRouter({
            renderer,
            store,
            messageTemplates,
            keyRing,
            baseUrl: () => baseUrl,
            mailFrom: config.mailFrom,
            adminToken: admin.verify,
            now,
            logger: errorLogger,
          }),
        );
        mounted.use(
          '/api',
          createAdminRouter({
            store,
            subscriptions,
            adminToken: admin.verify,
            now,
            routes: [
              webhooksApiRoutes({ store, settings: webhooks.settings, bus, wake: webhooks.wake, now }),
              ...(options.adminRoutes?.(context) ?? []),
            ],
            logger: errorLogger,
            throttle,
          }),
        );
        // Counts only, like /healthz; put it behind the admin token when it must not be public.
        mounted.use(metricsRoutes({ registry: webhooks.registry, store, now }));
        if (preview) {
          preview.register(mounted);
        } else {
          mounted.get('/', (_req, res) => {
            res.setHeader('Cache-Control', 'no-store');
            res.type('html').send(runningPageHtml());
          });
        }
        options.mount?.(mounted, context);
      },
    });
    const listening = createAppServer(app);
    server = listening;

    const port = await listen(listening, config);
    const url = listeningUrl(config.host, port);
    if (config.baseUrlFromDefault) baseUrl = url;
    const backend = config.databaseUrl
      ? `PostgreSQL at ${redactUrl(config.databaseUrl)}`
      : `SQLite at ${config.sqlitePath}`;
    log.info(`listening on ${url} (${backend})`);
    if (config.baseUrlFromDefault) log.info(`UNSUB_BASE_URL is not set: links point to ${baseUrl}`);
    if (options.demo) log.info(`demo: open ${url}/ and click through the newsletter's links`);

    webhooks.start();
    const stop = await options.onStarted?.({ ...context, url });
    if (stop) stops.push(stop);

    let closing: Promise<void> | undefined;
    let markClosed: () => void = () => {};
    const closed = new Promise<void>((resolve) => (markClosed = resolve));
    const onSignal = (signal: NodeJS.Signals) => {
      log.info(`${signal}: shutting down`);
      void close();
    };
    const close = (): Promise<void> => {
      closing ??= (async () => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        const serverClosed = new Promise<void>((resolve) => listening.close(() => resolve()));
        listening.closeIdleConnections();
        const cut = setTimeout(() => listening.closeAllConnections(), shutdownGraceMs);
        cut.unref();
        try {
          for (const hook of stops.reverse()) await hook();
          await serverClosed;
        } finally {
          clearTimeout(cut);
          await store.close();
          markClosed();
        }
      })();
      return closing;
    };
    if (options.handleSignals ?? true) {
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    }
    return { url, port, baseUrl, context, createdAdminToken: admin.token, close, closed };
  } catch (error) {
    for (const hook of stops.reverse()) await Promise.resolve(hook()).catch(() => undefined);
    const started = server;
    if (started?.listening) await new Promise<void>((resolve) => started.close(() => resolve()));
    await store.close().catch(() => undefined);
    throw error;
  }
}
