/**
 * @module The server's log over a full flow (sign-in, webhook test and save through the console, a
 * rendered newsletter, its confirm page and unsubscribe, one-click, the manager, admin API calls, a
 * real delivery): every line is JSON with a request id and a route PATTERN, and none of the
 * secrets, tokens, addresses, phone numbers or request bodies of the flow appears anywhere in it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test, type TestContext } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createLogger, startServer } from '../../src/server/index.js';
import { csrfOf, postForm } from '../http/consoleHarness.js';
import { startWebhookReceiver } from '../support/webhookReceiver.js';

const adminToken = 'log-test-admin-token-0123456789abcdef';

/** A temp data dir, removed when the test passes. */
function tempDataDir(context: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unsub-log-'));
  context.onTestFinished((finished) => {
    if (finished.task.result?.state === 'pass') fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Waits until `check` holds (polling), or fails after `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

type LogLine = Record<string, unknown>;

describe('the server log', () => {
  test('a full flow logs every request by route pattern and no secret, token, address or body', async (context) => {
    const written: string[] = [];
    const logger = createLogger({
      level: 'debug',
      format: 'json',
      destination: { write: (s) => written.push(s) },
    });
    const config = loadConfig({
      UNSUB_DATA_DIR: tempDataDir(context),
      PORT: '0',
      UNSUB_HOST: '127.0.0.1',
      UNSUB_ADMIN_TOKEN: adminToken,
      UNSUB_WEBHOOK_ALLOW: '127.0.0.0/8',
      UNSUB_RETRY_SCHEDULE: '0',
    });
    const server = await startServer(config, { handleSignals: false, demo: true, logger });
    context.onTestFinished(() => server.close());
    const { url } = server;
    const receiver = await startWebhookReceiver();
    context.onTestFinished(() => receiver.close());
    const secrets: string[] = [adminToken];

    // Sign in to the console; keep the session cookie and the CSRF token.
    const signIn = await fetch(`${url}/signin`, {
      method: 'POST',
      body: new URLSearchParams({ token: adminToken, next: '/settings/webhooks' }),
      redirect: 'manual',
    });
    expect(signIn.status).toBe(303);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const sessionValue = cookie.split('=').slice(1).join('=');
    expect(sessionValue.length).toBeGreaterThan(20);
    const settingsPage = await (await fetch(`${url}/settings/webhooks`, { headers: { cookie } })).text();
    const session = { cookie, csrf: csrfOf(settingsPage) };
    secrets.push(sessionValue, session.csrf);

    // Webhook test and save through the console; the secret as the API shows it.
    const hookUrl = `${receiver.origin}/hooks/private-path`;
    const slot = 'mailing group unsubscribe';
    const tested = await postForm(`${url}/settings/webhooks/test`, { slot, url: hookUrl }, session, {
      accept: 'application/json',
    });
    expect(((await tested.json()) as { ok: boolean }).ok).toBe(true);
    expect((await postForm(`${url}/settings/webhooks/save`, { slot, url: hookUrl }, session)).status).toBe(
      303,
    );
    const api = (route: string, init: RequestInit = {}) =>
      fetch(`${url}/api${route}`, {
        ...init,
        headers: { authorization: `Bearer ${adminToken}`, ...init.headers },
      });
    const hooks = (await (await api('/webhooks')).json()) as { events: Record<string, { secret: string }> };
    const secret = hooks.events[slot]?.secret ?? '';
    expect(secret).toMatch(/^whsec_/);
    secrets.push(secret, secret.slice('whsec_'.length));

    // A contact through the admin API (its address, phone and body must not be logged).
    const email = 'zebulon.private@example.org';
    const phone = '+79991234567';
    const body = JSON.stringify({
      email,
      phone,
      firstName: 'Zebulon-Quixote',
      extra: { note: 'body-only-text' },
    });
    const created = await api('/contacts', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'caller-id-42' },
      body,
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-request-id')).toBe('caller-id-42');
    const contactId = ((await created.json()) as { id: number }).id;
    secrets.push(email, phone, 'Zebulon-Quixote', 'body-only-text', encodeURIComponent(email));
    expect((await api(`/contacts?email=${encodeURIComponent(email)}`)).status).toBe(200);

    // The rendered newsletter of the demo, its links clicked.
    const page = await (await fetch(`${url}/`)).text();
    const rendered = await (await fetch(`${url}/preview/email`)).text();
    const tokens = [...`${page}${rendered}`.matchAll(/\/(?:u|m)\/([A-Za-z0-9_.-]{40,})/g)].map(
      (m) => m[1] ?? '',
    );
    expect(tokens.length).toBeGreaterThan(2);
    secrets.push(...new Set(tokens), 'demo@example.com');
    const unsubscribeToken = tokens.find((token) => rendered.includes(`/u/${token}`)) ?? tokens[0];
    const managerToken = [...rendered.matchAll(/\/m\/([A-Za-z0-9_.-]{40,})/g)][0]?.[1] ?? '';
    const form = (fields: Record<string, string>) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual' as const,
    });
    expect(
      (
        await fetch(`${url}/u/${unsubscribeToken}`, { headers: { 'x-request-id': 'bad id with spaces' } })
      ).headers.get('x-request-id'),
    ).toMatch(/^[0-9a-f-]{36}$/);
    expect((await fetch(`${url}/u/${unsubscribeToken}`, form({ confirm: '1' }))).status).toBeLessThan(400);
    // The List-Unsubscribe header's URL: every other e-mail group, in one click.
    const headerUrl = /<form method="post" action="([^"]+)" target="_blank">/.exec(page)?.[1] ?? '';
    expect(headerUrl).toContain('/u/');
    expect((await fetch(headerUrl, form({ 'List-Unsubscribe': 'One-Click' }))).status).toBe(200);
    expect((await fetch(`${url}/m/${managerToken}`)).status).toBe(200);
    expect((await fetch(`${url}/m/${managerToken}`, form({ save: '1' }))).status).toBeLessThan(400);
    expect((await fetch(`${url}/u/not-a-token`)).status).toBe(400);

    // A render over HTTP for the contact (its address in the body and the answer), a STOP reply
    // from its phone, then its erasure: none of them may leave the address, phone or text behind.
    const json = { 'content-type': 'application/json' };
    const rendered2 = await api('/render', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        template: { subject: 'Hi {{firstName}}', html: '<p>secret-template-text</p><<link_unsubscribe>>' },
        recipient: { email },
      }),
    });
    expect(rendered2.status).toBe(200);
    secrets.push('secret-template-text');
    const stop = await api('/inbound/sms', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ from: phone, text: 'STOP' }),
    });
    expect(stop.status).toBe(200);
    expect(
      (await api(`/contacts/${contactId}/erase`, { method: 'POST', headers: json, body: '{}' })).status,
    ).toBe(200);

    // The unsubscribes reach the receiver, signed.
    await until(() =>
      receiver.requests.some(
        (request) =>
          request.path === '/hooks/private-path' &&
          request.headers['webhook-id'] !== undefined &&
          !request.body.includes('user@gmail.com'),
      ),
    );
    await until(() => written.some((line) => line.includes('"route":"/m/:token"') && line.includes('"POST')));

    const text = written.join('');
    for (const value of secrets) expect(text, `the log contains ${value}`).not.toContain(value);
    expect(text).not.toContain('private-path');
    const lines = written.map((line) => JSON.parse(line) as LogLine);
    const requests = lines.filter((line) => typeof line.route === 'string');
    expect(
      requests.every((line) => typeof line.requestId === 'string' && typeof line.status === 'number'),
    ).toBe(true);
    expect(requests.map((line) => `${String(line.method)} ${String(line.route)}`)).toEqual(
      expect.arrayContaining([
        'POST /signin',
        'POST /settings/webhooks/test',
        'POST /settings/webhooks/save',
        'POST /api/contacts',
        'GET /api/contacts',
        'GET /u/:token',
        'POST /u/:token',
        'GET /m/:token',
        'POST /m/:token',
        'POST /api/render',
        'POST /api/inbound/sms',
        'POST /api/contacts/:id/erase',
      ]),
    );
    expect(requests.find((line) => line.requestId === 'caller-id-42')).toMatchObject({
      route: '/api/contacts',
      status: 201,
    });
    const linkLine = requests.find((line) => line.route === '/u/:token' && line.status === 200);
    expect(linkLine?.contactId).toEqual(expect.any(Number));
    expect(
      requests.find((line) => line.route === '/u/:token' && line.status === 400)?.contactId,
    ).toBeUndefined();
    expect(contactId).toEqual(expect.any(Number));

    // The request-duration histogram by pattern.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/u\/:token",status="200"\} \d+/,
    );
    expect(metrics).not.toContain(unsubscribeToken);
    expect(metrics).toMatch(/unsub_unsubscribes_total\{channel="email",source="link"\} [1-9]/);
    expect(metrics).toMatch(/unsub_unsubscribes_total\{channel="email",source="one-click"\} [1-9]/);
  });
});
