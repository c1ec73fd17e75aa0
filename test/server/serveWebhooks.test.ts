/**
 * @module `startServer` wires the webhook side for real: the settings API refuses an untested URL,
 * a passed test lets it save, and then a one-click unsubscribe from the demo's List-Unsubscribe
 * header reaches the receiver as a Standard Webhooks-signed `mailing group unsubscribe` — through
 * the dispatcher the server runs. Also: the console and the OpenAPI document are mounted (public
 * docs, sign-in redirect) and `/metrics` counts the delivery.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { describe, expect, test, type TestContext } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startServer } from '../../src/server/index.js';
import { startWebhookReceiver } from '../support/webhookReceiver.js';

function tempDataDir(context: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unsub-serve-webhooks-'));
  context.onTestFinished((finished) => {
    if (finished.task.result?.state === 'pass') fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('unsub serve with webhooks', () => {
  test('test-before-save, then a one-click unsubscribe arrives signed at the endpoint', async (context) => {
    const receiver = await startWebhookReceiver();
    context.onTestFinished(() => receiver.close());
    const token = 't'.repeat(32);
    const config = loadConfig({
      UNSUB_DATA_DIR: tempDataDir(context),
      PORT: '0',
      UNSUB_HOST: '127.0.0.1',
      UNSUB_ADMIN_TOKEN: token,
      UNSUB_WEBHOOK_ALLOW: '127.0.0.0/8',
      UNSUB_RETRY_SCHEDULE: '0,50ms,100ms',
      UNSUB_LOG: 'silent',
    });
    const server = await startServer(config, { demo: true, handleSignals: false, log: silent });
    context.onTestFinished(() => server.close());
    const api = (route: string, init: RequestInit = {}) =>
      fetch(`${server.url}/api${route}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
      });
    const hookUrl = `${receiver.origin}/hooks/unsubscribe`;

    const untested = await api('/webhooks', {
      method: 'PUT',
      body: JSON.stringify({ events: { 'mailing group unsubscribe': hookUrl } }),
    });
    expect(untested.status).toBe(409);

    const tested = await api('/webhooks/test', {
      method: 'POST',
      body: JSON.stringify({ url: hookUrl, event: 'mailing group unsubscribe' }),
    });
    const result = (await tested.json()) as { ok: boolean; status: number };
    expect(result).toMatchObject({ ok: true, status: 204 });
    const saved = await api('/webhooks', {
      method: 'PUT',
      body: JSON.stringify({ events: { 'mailing group unsubscribe': hookUrl } }),
    });
    expect(saved.status).toBe(200);
    const settings = (await (await api('/webhooks')).json()) as {
      events: Record<string, { url: string; secret: string }>;
    };
    const secret = settings.events['mailing group unsubscribe']?.secret ?? '';
    expect(secret).toMatch(/^whsec_/);
    const testRequests = receiver.requests.length;

    // The demo preview's one-click form posts to the List-Unsubscribe URL.
    const preview = await (await fetch(`${server.url}/`)).text();
    const headerUrl = /List-Unsubscribe: &lt;([^&]+)&gt;/.exec(preview)?.[1];
    expect(headerUrl).toMatch(/\/u\//);
    const oneClick = await fetch(headerUrl ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
      redirect: 'manual',
    });
    expect(oneClick.status).toBe(200);

    const delivered = await waitFor(
      () => receiver.requests.slice(testRequests).find((request) => request.path === '/hooks/unsubscribe'),
      'the delivery',
    );
    const verified = new Webhook(secret).verify(delivered.body, {
      'webhook-id': String(delivered.headers['webhook-id']),
      'webhook-timestamp': String(delivered.headers['webhook-timestamp']),
      'webhook-signature': String(delivered.headers['webhook-signature']),
    });
    expect(verified).toMatchObject({
      event: 'mailing group unsubscribe',
      email: 'demo@example.com',
      channel: 'email',
    });
    expect(String(delivered.headers['user-agent'])).toMatch(/^unsub\//);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/unsub_webhook_attempts_total\{outcome="succeeded"\} [1-9]/);
    // Nothing erased here: the erasure gauges are registered and read 0.
    expect(metrics).toContain('unsub_erasure_scrubs_pending 0');
    expect(metrics).toContain('unsub_erasure_oldest_scrub_age_seconds 0');
  });

  test('mounts the console (sign-in redirect) and the public OpenAPI document', async (context) => {
    const config = loadConfig({
      UNSUB_DATA_DIR: tempDataDir(context),
      PORT: '0',
      UNSUB_HOST: '127.0.0.1',
      UNSUB_ADMIN_TOKEN: 'a'.repeat(32),
      UNSUB_WORKER: 'false',
      UNSUB_LOG: 'silent',
    });
    const server = await startServer(config, { handleSignals: false, log: silent });
    context.onTestFinished(() => server.close());
    expect(server.context.webhooks.dispatcher).toBeUndefined();
    const console = await fetch(`${server.url}/settings/webhooks`, { redirect: 'manual' });
    expect(console.status).toBe(303);
    expect(console.headers.get('location')).toMatch(/\/signin/);
    const openapi = await fetch(`${server.url}/api/openapi.json`);
    expect(openapi.status).toBe(200);
    expect(((await openapi.json()) as { openapi: string }).openapi).toMatch(/^3\.1/);
    const unauthorised = await fetch(`${server.url}/api/webhooks`);
    expect(unauthorised.status).toBe(401);
  });
});
