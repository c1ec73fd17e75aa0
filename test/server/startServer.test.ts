/**
 * @module `startServer` and `unsub serve` end to end on SQLite in a temp data dir: the demo preview's
 * links work against this very server (confirm page, unsubscribe, outbox event, one-click, reset),
 * the generated admin token is shown once and reused after a restart, `/healthz`, the plain `/`
 * without the demo, a taken port, and a bad variable stopping `unsub serve` with exit status 1.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test, type TestContext } from 'vitest';
import { loadConfig, type Config } from '../../src/config/index.js';
import { startServer, type ServerLog, type StartServerOptions } from '../../src/server/index.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** A temp data dir, removed when the test passes. */
function tempDataDir(context: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unsub-serve-'));
  context.onTestFinished((finished) => {
    if (finished.task.result?.state === 'pass') fs.rmSync(dir, { recursive: true, force: true });
    else console.warn(`kept the data dir of failed test "${finished.task.name}": ${dir}`);
  });
  return dir;
}

/** The configuration for a server on a free loopback port over `dataDir`. */
function testConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return loadConfig({ UNSUB_DATA_DIR: dataDir, PORT: '0', UNSUB_HOST: '127.0.0.1', ...env });
}

/** A log that keeps its lines (and the admin tokens shown, which never go into the log). */
function memoryLog(): ServerLog & { lines: string[]; shown: string[] } {
  const lines: string[] = [];
  return {
    lines,
    shown: [],
    info: (message) => lines.push(`info: ${message}`),
    warn: (message) => lines.push(`warn: ${message}`),
    error: (message, error) => lines.push(`error: ${message} ${error ?? ''}`),
  };
}

/** Starts a server (closed when the test finishes) and returns it with its log. */
async function start(context: TestContext, config: Config, options: StartServerOptions = {}) {
  const log = memoryLog();
  const server = await startServer(config, {
    handleSignals: false,
    log,
    showAdminToken: (token) => log.shown.push(token),
    ...options,
  });
  context.onTestFinished(() => server.close());
  return { server, log };
}

/** `href` values of links whose text contains `text`. */
function hrefOf(html: string, text: string): string {
  for (const match of html.matchAll(/<a href="([^"]+)"[^>]*>([^<]*)<\/a>/g)) {
    if ((match[2] ?? '').includes(text)) return (match[1] ?? '').replace(/&#x3D;/g, '=');
  }
  throw new Error(`no link "${text}" in the page`);
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
  redirect: 'manual' as const,
});

describe('startServer', () => {
  test('serves a demo whose links unsubscribe for real, and reuses its token after a restart', async (context) => {
    const dataDir = tempDataDir(context);
    const first = await start(context, testConfig(dataDir), { demo: true });
    const { url } = first.server;
    expect(first.log.lines.filter((line) => line.includes('created a new signing key'))).toHaveLength(1);
    expect(first.log.shown).toHaveLength(1);
    const token = first.log.shown[0] ?? '';
    expect(first.log.lines.join('\n')).not.toContain(token);
    expect(token).toMatch(/^unsub_[A-Za-z0-9_-]{43}$/);
    expect(first.server.createdAdminToken).toBe(token);
    expect(fs.existsSync(path.join(dataDir, 'unsub.db'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'keys.json'))).toBe(true);

    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true });
    const preview = await fetch(`${url}/`);
    expect(preview.status).toBe(200);
    expect(preview.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    const page = await preview.text();
    expect(page).toContain('<iframe src="preview/email"');
    const email = await fetch(`${url}/preview/email`);
    expect(email.headers.get('content-security-policy')).toContain('sandbox');
    expect(await email.text()).toContain(`${url}/m/`);

    // Follow "Unsubscribe from Новости": GET only shows the confirm page …
    const link = hrefOf(page, 'Unsubscribe from Новости');
    expect(link.startsWith(`${url}/u/`)).toBe(true);
    const api = (route: string, init: RequestInit = {}) =>
      fetch(`${url}/api${route}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, ...init.headers },
      });
    const demoContact = async () =>
      ((await (await api('/contacts?email=demo%40example.com')).json()) as { contacts: DemoContact[] })
        .contacts[0]!;
    const stateOf = (contact: DemoContact, name: string) =>
      contact.memberships.find((m) => m.group.name === name)?.state;
    const confirm = await fetch(link);
    expect(confirm.status).toBe(200);
    const confirmPage = await confirm.text();
    expect(confirmPage).toContain('Новости');
    expect(confirmPage).toContain('<form method="post"');
    expect(stateOf(await demoContact(), 'Новости')).toBe('subscribed');
    // … and the POST of its button unsubscribes, with the event in the outbox.
    expect((await fetch(link, form({ confirm: '1' }))).status).toBe(200);
    const contact = await demoContact();
    expect(stateOf(contact, 'Новости')).toBe('unsubscribed');
    expect(stateOf(contact, 'Offers & Promotions')).toBe('subscribed');
    const outbox = await first.server.context.store.listOutbox({ limit: 100 });
    const news = contact.memberships.find((m) => m.group.name === 'Новости')!.group;
    expect(JSON.parse(outbox.at(-1)!.body)).toEqual({
      event: 'mailing group unsubscribe',
      email: 'demo@example.com',
      group_id: news.id,
      group_name: 'Новости',
      channel: 'email',
    });
    expect(await (await fetch(`${url}/`)).text()).toContain('mailing group unsubscribe');

    // The List-Unsubscribe header's one-click POST leaves every e-mail group; reset re-joins them.
    const headerUrl = /<form method="post" action="([^"]+)" target="_blank">/.exec(page)?.[1] ?? '';
    const oneClick = await fetch(headerUrl, form({ 'List-Unsubscribe': 'One-Click' }));
    expect(oneClick.status).toBe(200);
    expect(
      (await demoContact()).memberships.filter((m) => m.group.channel === 'email').map((m) => m.state),
    ).toEqual(['unsubscribed', 'unsubscribed', 'unsubscribed', 'unsubscribed']);
    const reset = await fetch(`${url}/preview/reset`, { method: 'POST', redirect: 'manual' });
    expect(reset.status).toBe(303);
    expect(new URL(reset.headers.get('location') ?? '', `${url}/preview/reset`).pathname).toBe('/');
    expect((await demoContact()).memberships.every((m) => m.state === 'subscribed')).toBe(true);

    const groups = ((await (await api('/groups')).json()) as { groups: unknown[] }).groups;
    const contactId = contact.id;
    await first.server.close();

    // Restart on the same data dir: no new key, no new token, the same demo data.
    const second = await start(context, testConfig(dataDir), { demo: true });
    expect(second.log.lines.join('\n')).not.toMatch(/admin token|signing key/);
    expect(second.log.shown).toEqual([]);
    expect(second.server.createdAdminToken).toBeUndefined();
    const again = await fetch(`${second.server.url}/api/groups`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await again.json()) as { groups: unknown[] }).groups).toEqual(groups);
    const sameContact = await fetch(`${second.server.url}/api/contacts/${contactId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(sameContact.status).toBe(200);
    expect(
      (await fetch(`${second.server.url}/api/groups`, { headers: { authorization: 'Bearer x' } })).status,
    ).toBe(401);
  });

  test('without the demo serves a plain page and takes UNSUB_ADMIN_TOKEN as the token', async (context) => {
    const adminToken = 'configured-admin-token-0123456789';
    const { server, log } = await start(
      context,
      testConfig(tempDataDir(context), { UNSUB_ADMIN_TOKEN: adminToken }),
    );
    expect(log.lines.join('\n')).not.toContain('admin token');
    expect(log.shown).toEqual([]);
    const home = await fetch(`${server.url}/`);
    expect(await home.text()).toContain('unsub is running');
    const groups = await fetch(`${server.url}/api/groups`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(await groups.json()).toEqual({ groups: [] });
    expect((await fetch(`${server.url}/preview/email`)).status).toBe(404);
  });

  test('says which variable to change when the port is taken', async (context) => {
    const blocker = http.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    context.onTestFinished(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as { port: number }).port;
    const config = testConfig(tempDataDir(context), { PORT: String(port) });
    await expect(startServer(config, { handleSignals: false, log: memoryLog() })).rejects.toMatchObject({
      code: 'listen_failed',
      field: 'PORT',
      message: expect.stringContaining('set PORT'),
    });
  });
});

describe('unsub serve', () => {
  test('exits with status 1 naming the variable when the configuration is bad', async (context) => {
    const dataDir = tempDataDir(context);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'serve'], {
      cwd: repoRoot,
      env: { ...process.env, UNSUB_BASE_URL: 'foo', UNSUB_DATA_DIR: dataDir, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status).toBe(1);
    expect(stderr).toMatch(/^unsub: UNSUB_BASE_URL must be an absolute http\(s\) URL/);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

/** The demo contact as the admin API returns it. */
interface DemoContact {
  id: number;
  memberships: { group: { id: number; name: string; channel: string }; state: string }[];
}
