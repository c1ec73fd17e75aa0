/**
 * @module Test harness of the templates API: the seeded app of `httpHarness` with the templates
 * router (and the admin router behind it) mounted at `/api`, and a JSON caller.
 */
import type { TestContext } from 'vitest';
import { createAdminRouter } from '../../src/http/admin/index.js';
import { renderThreads, templatesApiRouter } from '../../src/http/templatesApi/index.js';
import { createMessageTemplates, type MessageTemplates } from '../../src/messageTemplates/index.js';
import { KeyRing } from '../../src/links/index.js';
import type { TestBackend } from '../support/databases.js';
import { startHarness, type Harness } from './httpHarness.js';

export const token = 'admin-token-for-tests-0123456789';

/** A response: status, headers, the text and (when JSON) the parsed body. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The harness plus the templates service and a caller. */
export interface TemplatesHarness extends Harness {
  messageTemplates: MessageTemplates;
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
}

/** Starts the app with the templates API; `mailFrom` plays UNSUB_MAIL_FROM. */
export async function startTemplatesApi(
  context: TestContext,
  backend: TestBackend,
  options: { mailFrom?: string } = {},
): Promise<TemplatesHarness> {
  const keyRing = KeyRing.generate();
  // One render thread (the threaded path, as served), stopped with the test.
  const renderer = renderThreads({ threads: 1, keyRing });
  context.onTestFinished(() => renderer.close());
  let base = 'http://placeholder';
  let messageTemplates: MessageTemplates | undefined;
  const harness = await startHarness(context, backend, {
    keyRing,
    mount: (app) => {
      // The store is only known inside startHarness; the routers are built lazily on first use.
      let router: ReturnType<typeof templatesApiRouter> | undefined;
      let admin: ReturnType<typeof createAdminRouter> | undefined;
      app.use('/api', (req, res, next) => {
        router ??= templatesApiRouter({
          store: harnessRef.store,
          messageTemplates: (messageTemplates ??= createMessageTemplates({ store: harnessRef.store })),
          keyRing,
          baseUrl: () => base,
          mailFrom: options.mailFrom,
          adminToken: token,
          logger: { error: (...args: unknown[]) => harnessRef.logged.push(args) },
          renderer,
        });
        router(req, res, next);
      });
      app.use('/api', (req, res, next) => {
        admin ??= createAdminRouter({
          store: harnessRef.store,
          subscriptions: harnessRef.subscriptions,
          adminToken: token,
          logger: { error: () => {} },
        });
        admin(req, res, next);
      });
    },
  });
  const harnessRef = harness;
  base = harness.baseUrl;
  messageTemplates ??= createMessageTemplates({ store: harness.store });
  return {
    ...harness,
    messageTemplates,
    async api(method, path, body, headers = {}) {
      const response = await fetch(`${harness.baseUrl}/api${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined || typeof body === 'string' ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: response.status, headers: response.headers, text, body: parsed };
    },
  };
}
