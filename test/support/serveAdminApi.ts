/**
 * @module Serves an admin router inside the real app (security headers, public pages, its 404 and
 * error handler) on 127.0.0.1:0 for one test, closed when the test finishes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Router } from 'express';
import type { TestContext } from 'vitest';
import { createApp } from '../../src/http/index.js';
import { KeyRing } from '../../src/links/index.js';
import type { Store } from '../../src/store/index.js';
import type { Subscriptions } from '../../src/subscriptions/index.js';

/** Mounts `router` at `/api` of a new app and listens; resolves with the base URL. */
export async function serveAdminApi(
  context: TestContext,
  parts: { store: Store; subscriptions: Subscriptions; router: Router },
): Promise<string> {
  const app = createApp({
    store: parts.store,
    subscriptions: parts.subscriptions,
    keyRing: KeyRing.generate(),
    baseUrl: 'http://127.0.0.1',
    logger: { error: () => {}, warn: () => {} },
    mount: (mounted) => mounted.use('/api', parts.router),
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  context.onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
