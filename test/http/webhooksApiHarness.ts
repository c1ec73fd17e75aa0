/**
 * @module Test harness of the webhooks API tests: a store of one backend, the real app with the
 * admin router carrying `webhooksApiRoutes` and `/metrics` mounted, a settable clock, a sender that
 * may reach 127.0.0.0/8 only, an event bus that records emits, and a JSON `api()` caller.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { TestContext } from 'vitest';
import { createEventBus } from '../../src/events/index.js';
import { createAdminRouter } from '../../src/http/admin/index.js';
import { createApp, createFailureThrottle } from '../../src/http/index.js';
import { metricsRoutes, webhooksApiRoutes } from '../../src/http/webhooksApi/index.js';
import { KeyRing } from '../../src/links/index.js';
import type { Store } from '../../src/store/index.js';
import { createSubscriptions } from '../../src/subscriptions/index.js';
import {
  createAddressPolicy,
  createWebhookSender,
  createWebhookSettings,
  type WebhookSettings,
} from '../../src/webhooks/index.js';
import { openTestStore, type TestBackend } from '../support/databases.js';

/** The admin token of the tests. */
export const token = 'webhooks-admin-token-0123456789';

/** A response: status, headers and the parsed JSON body (or text for non-JSON). */
export interface Answer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

/** What a test gets. */
export interface WebhooksHarness {
  store: Store;
  settings: WebhookSettings;
  /** The clock every part reads (ms); tests move it. */
  clock: { now: number };
  /** Events the API emitted on the bus. */
  emitted: unknown[];
  /** How many times the API asked the dispatcher to wake. */
  wakes: { count: number };
  /** Calls the app; `body` is sent as JSON; `token: null` sends no Authorization. */
  api(
    method: string,
    path: string,
    body?: unknown,
    options?: { token?: string | null; raw?: string },
  ): Promise<Answer>;
}

/**
 * Starts the app for one test. The clock starts at the real time, so signatures made with it also
 * pass the `standardwebhooks` package's timestamp check.
 */
export async function startWebhooksApi(context: TestContext, backend: TestBackend): Promise<WebhooksHarness> {
  const store = await openTestStore(context, await backend.makeDatabase(context));
  const clock = { now: Date.now() };
  const now = () => clock.now;
  const sender = createWebhookSender({
    policy: createAddressPolicy({ allow: ['127.0.0.0/8'] }),
    timeoutMs: 10_000,
  });
  context.onTestFinished(() => sender.close());
  const settings = createWebhookSettings({ store, sender, now });
  const emitted: unknown[] = [];
  const bus = createEventBus();
  bus.on('*', (event) => void emitted.push(event));
  const wakes = { count: 0 };
  const subscriptions = createSubscriptions({ store, now });
  const logger = { error: (...args: unknown[]) => console.error(...args), warn: () => {} };
  const app = createApp({
    store,
    subscriptions,
    keyRing: KeyRing.generate(),
    baseUrl: 'http://127.0.0.1',
    logger,
    mount: (mounted) => {
      mounted.use(
        '/api',
        createAdminRouter({
          store,
          subscriptions,
          adminToken: token,
          now,
          logger,
          // These suites send many wrong tokens on purpose; throttling has its own test (throttle.test.ts).
          throttle: createFailureThrottle({ limit: 1000 }).middleware,
          routes: [webhooksApiRoutes({ store, settings, bus, now, wake: () => (wakes.count += 1) })],
        }),
      );
      mounted.use(metricsRoutes({ registry: new Registry(), store, now }));
    },
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  context.onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const api: WebhooksHarness['api'] = async (method, path, body, options = {}) => {
    const headers: Record<string, string> = {};
    const bearer = options.token === undefined ? token : options.token;
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    const payload = body !== undefined ? JSON.stringify(body) : options.raw;
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(base + path, { method, headers, body: payload });
    const text = await response.text();
    const json =
      response.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : undefined;
    return { status: response.status, headers: response.headers, body: json, text };
  };
  return { store, settings, clock, emitted, wakes, api };
}
