/**
 * @module Test harness of the console: a SQLite store, the real app (`createApp`) with the console
 * router mounted before the admin API (which carries the webhooks API), a webhook sender and a
 * dispatcher allowed to reach 127.0.0.0/8 (the local receivers), all listening on a loopback port
 * and closed when the test finishes. Helpers sign in over HTTP and read a page's CSRF token.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'vitest';
import { createAdminRouter } from '../../src/http/admin/index.js';
import { createConsoleRouter, type ConsoleRouterOptions } from '../../src/http/console/index.js';
import { createApp } from '../../src/http/index.js';
import { webhooksApiRoutes } from '../../src/http/webhooksApi/index.js';
import { KeyRing } from '../../src/links/index.js';
import type { Store } from '../../src/store/index.js';
import { createSubscriptions, type Subscriptions } from '../../src/subscriptions/index.js';
import {
  createAddressPolicy,
  createDispatcher,
  createWebhookSender,
  createWebhookSettings,
  type Dispatcher,
  type WebhookSettings,
} from '../../src/webhooks/index.js';
import { openTestStore, sqliteTestDatabase } from '../support/databases.js';

/** The admin token of the harness. */
export const adminToken = 'console-admin-token-0123456789abcdef';

/** A running console. */
export interface ConsoleHarness {
  store: Store;
  subscriptions: Subscriptions;
  keyRing: KeyRing;
  webhookSettings: WebhookSettings;
  /** One attempt per delivery (`schedule: [0]`): a failure is final until retried. Run with `runOnce`. */
  dispatcher: Dispatcher;
  baseUrl: string;
  /** Unexpected errors the app or console logged (tests assert it stays empty). */
  logged: unknown[][];
}

/** Starts the app with the console for one test. */
export async function startConsole(
  context: TestContext,
  options: Partial<
    Pick<ConsoleRouterOptions, 'now' | 'secureCookies' | 'sessionKey' | 'auditRetentionDays'>
  > = {},
): Promise<ConsoleHarness> {
  const store = await openTestStore(context, await sqliteTestDatabase(context));
  const subscriptions = createSubscriptions({ store });
  const keyRing = KeyRing.generate();
  const allow = ['127.0.0.0/8'];
  const sender = createWebhookSender({ policy: createAddressPolicy({ allow }), timeoutMs: 5_000 });
  const webhookSettings = createWebhookSettings({ store, sender });
  const dispatcher = createDispatcher({ store, allow, schedule: [0], timeoutMs: 5_000 });
  const logged: unknown[][] = [];
  const logger = {
    error: (...args: unknown[]) => logged.push(args),
    warn: (...args: unknown[]) => logged.push(args),
  };

  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const app = createApp({
    store,
    subscriptions,
    keyRing,
    baseUrl,
    logger,
    brandingCacheMs: 0,
    mount: (mounted) => {
      // Before the admin router: its bearer check covers all of /api, and /api/docs is public.
      mounted.use(
        createConsoleRouter({
          store,
          subscriptions,
          webhookSettings,
          keyRing,
          baseUrl,
          verifyAdminToken: (token) => token === adminToken,
          wake: () => dispatcher.wake(),
          logger,
          ...options,
        }),
      );
      mounted.use(
        '/api',
        createAdminRouter({
          store,
          subscriptions,
          adminToken,
          logger,
          routes: [webhooksApiRoutes({ store, settings: webhookSettings })],
        }),
      );
    },
  });
  server.on('request', app);
  context.onTestFinished(async () => {
    await dispatcher.stop();
    await sender.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });
  return { store, subscriptions, keyRing, webhookSettings, dispatcher, baseUrl, logged };
}

/** A signed-in session for fetch: its cookie header and the CSRF token of its forms. */
export interface FetchSession {
  cookie: string;
  csrf: string;
}

/** Signs in over HTTP and reads the CSRF token from a console page. */
export async function signIn(baseUrl: string, token = adminToken): Promise<FetchSession> {
  const response = await fetch(`${baseUrl}/signin`, {
    method: 'POST',
    body: new URLSearchParams({ token, next: '/groups' }),
    redirect: 'manual',
  });
  if (response.status !== 303) throw new Error(`sign-in answered ${response.status}`);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const page = await (await fetch(`${baseUrl}/groups`, { headers: { cookie } })).text();
  return { cookie, csrf: csrfOf(page) };
}

/** The `_csrf` value of the first form on a page. */
export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no CSRF field on the page');
  return match[1];
}

/** POSTs a console form (urlencoded) without following redirects. */
export function postForm(
  url: string,
  fields: Record<string, string | string[]>,
  session?: Partial<FetchSession>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value]) body.append(name, item);
  }
  if (session?.csrf !== undefined && !('_csrf' in fields)) body.append('_csrf', session.csrf);
  return fetch(url, {
    method: 'POST',
    body,
    redirect: 'manual',
    headers: { ...(session?.cookie ? { cookie: session.cookie } : {}), ...headers },
  });
}
