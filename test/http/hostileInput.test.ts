/**
 * @module What strangers can send, over real HTTP on every store backend: every kind of bad token is
 * the same plain 400 page, a deleted contact is 410, big bodies 413, unknown routes 404, odd methods
 * 405, garbage bodies and paths a 4xx — never a 500 — and the security headers on every response.
 */
import net from 'node:net';
import { describe, expect, test } from 'vitest';
import { createApp } from '../../src/http/index.js';
import { KeyRing } from '../../src/links/index.js';
import type { Store } from '../../src/store/index.js';
import type { Subscriptions } from '../../src/subscriptions/index.js';
import { testBackends } from '../support/databases.js';
import { postForm, startHarness } from './httpHarness.js';

const backends = await testBackends('the PostgreSQL HTTP suite');
const day = 86_400_000;

/** Sends raw bytes and returns the status line's code (or 0 when the server just closed). */
function rawRequest(port: number, text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(text));
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
  });
}

function expectSecurityHeaders(response: Response): void {
  const csp = response.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  expect(response.headers.get('x-powered-by')).toBeNull();
  expect(response.headers.get('set-cookie')).toBeNull();
}

describe.each(backends)('hostile input on $name', (backend) => {
  test('every kind of bad token: the same plain 400 page, no detail, nothing changed', async (context) => {
    const h = await startHarness(context, backend);
    const good = h.link({ action: 'unsubscribe' });
    const token = good.slice(good.lastIndexOf('/') + 1);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    // Same claims, another contact: the signature no longer matches.
    const claimsJson = Buffer.from(payload, 'base64url').toString('utf8');
    const tamperedJson = claimsJson.replace(`"c":${h.ann.id}`, `"c":${h.ann.id + 1}`);
    expect(tamperedJson).not.toBe(claimsJson);
    const tamperedPayload = Buffer.from(tamperedJson).toString('base64url');
    const foreign = KeyRing.generate().signLink({
      action: 'unsubscribe',
      contactId: h.ann.id,
      channel: 'email',
      groupIds: [],
    });

    const retiredRing = KeyRing.generate();
    const retiredUrl = `${h.baseUrl}/u/${retiredRing.signLink({ action: 'unsubscribe', contactId: h.ann.id, channel: 'email', groupIds: [] })}`;
    const oldKid = retiredRing.list()[0]?.kid as string;
    retiredRing.rotate();
    retiredRing.retire(oldKid);
    const retired = await startHarness(context, backend, { keyRing: retiredRing });
    const retiredLink = retiredUrl.replace(h.baseUrl, retired.baseUrl);

    const expiring = KeyRing.generate({ maxAgeDays: 60 });
    const expired = await startHarness(context, backend, {
      keyRing: expiring,
      now: () => Date.now() + 61 * day,
    });

    const snapshot = await h.snapshot();
    const urls = [
      `${h.baseUrl}/u/not-a-token`,
      // A changed signature (one that already ends in AA gets BB: replacing AA by AA changed nothing, 1 in 4096).
      `${h.baseUrl}/u/${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`,
      `${h.baseUrl}/u/${header}.${tamperedPayload}.${signature}`,
      `${h.baseUrl}/u/${foreign}`,
      `${h.baseUrl}/u/${'a'.repeat(5_000)}`,
      `${h.baseUrl}/u/%E0%A4%A`,
      `${h.baseUrl}/u/${encodeURIComponent('ü'.repeat(50))}`,
      `${h.baseUrl}/m/${token}`, // an unsubscribe token on the manager page
      h.link({ action: 'manage' }).replace('/m/', '/u/'),
      retiredLink,
      expired.link({ action: 'unsubscribe' }),
    ];
    for (const url of urls) {
      for (const send of [
        () => fetch(url),
        () => postForm(url, { confirm: '1' }),
        () => postForm(url, { 'List-Unsubscribe': 'One-Click' }),
      ]) {
        const response = await send();
        expect(response.status, url).toBe(400);
        expectSecurityHeaders(response);
        const html = await response.text();
        expect(html).toContain('This link is not valid');
        expect(html).not.toMatch(/signature|expired|retired|kid|malformed/i);
      }
    }
    expect(await h.snapshot()).toBe(snapshot);
    // The real link of the retired ring's new key still works there.
    expect((await fetch(retired.link({ action: 'unsubscribe' }))).status).toBe(200);
    expect([...h.logged, ...retired.logged, ...expired.logged]).toEqual([]);
  });

  test('a contact that no longer exists: 410 on every page and method', async (context) => {
    const h = await startHarness(context, backend);
    const links = [
      h.link({ action: 'unsubscribe' }),
      h.link({ action: 'manage' }),
      h.link({ action: 'unsubscribe_groups', groupIds: [h.news.id] }),
    ];
    expect(
      await h.store.eraseContact({
        contactId: h.ann.id,
        at: Date.now(),
        suppressionKey: (c, a) => `${c}:${a}`,
      }),
    ).toMatchObject({ contactId: h.ann.id });
    for (const url of links) {
      for (const response of [
        await fetch(url),
        await postForm(url, { confirm: '1', save: '1' }),
        await postForm(url, { 'List-Unsubscribe': 'One-Click' }),
      ]) {
        expect(response.status, url).toBe(410);
        expect(await response.text()).toContain('no longer exists');
      }
    }
    expect(h.logged).toEqual([]);
  });

  test('oversized bodies are a 413 page; unreadable ones a 4xx; never a 500', async (context) => {
    const h = await startHarness(context, backend);
    const url = h.link({ action: 'unsubscribe' });
    const snapshot = await h.snapshot();
    const big = await postForm(url, { 'List-Unsubscribe': 'One-Click', pad: 'x'.repeat(20_000) });
    expect(big.status).toBe(413);
    expect(await big.text()).toContain('too large');
    const bigManager = await postForm(h.link({ action: 'manage' }), { save: '1', group: 'x'.repeat(20_000) });
    expect(bigManager.status).toBe(413);

    const post = (body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string>) =>
      fetch(url, { method: 'POST', body, headers, redirect: 'manual' });
    const badMultipart = await post('garbage without boundary', {
      'content-type': 'multipart/form-data; boundary=zz',
    });
    expect(badMultipart.status).toBe(400);
    expect(
      (await post('--zz\r\nno end', { 'content-type': 'multipart/form-data; boundary=zz' })).status,
    ).toBe(400);
    expect((await post('x', { 'content-type': 'multipart/form-data' })).status).toBe(400);
    expect(
      (await post('a=b', { 'content-encoding': 'compress9', 'content-type': 'text/plain' })).status,
    ).toBe(415);
    expect((await post('not gzip', { 'content-encoding': 'gzip' })).status).toBe(415);
    expect(await h.snapshot()).toBe(snapshot);
    // Invalid percent escapes and UTF-8 in a form still read as a (non-one-click) confirmation.
    expect((await post(new Uint8Array([0x25, 0xff, 0xfe, 0x3d, 0x25]), {})).status).toBe(200);
    expect(h.logged).toEqual([]);
  });

  test('unknown routes 404, odd methods 405, raw garbage 4xx, headers on everything', async (context) => {
    const h = await startHarness(context, backend);
    const url = h.link({ action: 'unsubscribe' });
    const missing = await fetch(`${h.baseUrl}/nope`);
    expect(missing.status).toBe(404);
    expectSecurityHeaders(missing);
    expect(await missing.text()).toContain('Page not found');
    const api = await fetch(`${h.baseUrl}/api/nope`);
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({
      error: { code: 'not_found', message: 'there is nothing at this address' },
    });

    const snapshot = await h.snapshot();
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const response = await fetch(url, { method, body: 'List-Unsubscribe=One-Click' });
      expect(response.status, method).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD, POST');
    }
    expect(await h.snapshot()).toBe(snapshot);

    const port = Number(new URL(h.baseUrl).port);
    const token = url.slice(url.lastIndexOf('/') + 1);
    for (const raw of [
      `GET /u/%zz%00 HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET /u/${'%'.repeat(3000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      `BREW /u/${token} HTTP/1.1\r\nHost: x\r\n\r\n`,
      `POST /u/${token} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      `POST /u/${token} HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\nabc`,
      `GET /u/${'a'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    ]) {
      const status = await rawRequest(port, raw);
      expect(status === 0 || (status >= 400 && status < 500), raw.slice(0, 40)).toBe(true);
    }
    expect(await h.snapshot()).toBe(snapshot);

    const css = await fetch(`${h.baseUrl}/assets/unsub.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expectSecurityHeaders(css);
    const page = await fetch(url);
    expectSecurityHeaders(page);
    expect(await page.text()).toMatch(
      /<link rel="stylesheet" href="\/assets\/unsub\.css\?v(=|&#x3D;)[0-9a-f]{12}">/,
    );
    expect(h.logged).toEqual([]);
  });

  test('/healthz: 200 after a store query, 503 when the store fails', async (context) => {
    const h = await startHarness(context, backend);
    const ok = await fetch(`${h.baseUrl}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true });

    const failing = {
      getSetting: async () => Promise.reject(new Error('database is gone')),
    } as unknown as Store;
    const errors: unknown[] = [];
    const app = createApp({
      store: failing,
      subscriptions: {} as Subscriptions,
      keyRing: KeyRing.generate(),
      baseUrl: 'http://localhost',
      logger: { error: (...args: unknown[]) => errors.push(args), warn: () => undefined },
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    context.onTestFinished(() => void server.close());
    const port = (server.address() as net.AddressInfo).port;
    const down = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { connection: 'close' } });
    expect(down.status).toBe(503);
    expect(((await down.json()) as { ok: boolean }).ok).toBe(false);
    expect(errors).toHaveLength(1);
    // A page that needs the store: a 500 page without detail, logged.
    const ring = KeyRing.generate();
    const broken = createApp({
      store: { getContact: async () => Promise.reject(new Error('secret detail')) } as unknown as Store,
      subscriptions: {} as Subscriptions,
      keyRing: ring,
      baseUrl: 'http://localhost',
      logger: { error: (...args: unknown[]) => errors.push(args), warn: () => undefined },
    });
    const server2 = broken.listen(0, '127.0.0.1');
    await new Promise((resolve) => server2.once('listening', resolve));
    context.onTestFinished(() => void server2.close());
    const port2 = (server2.address() as net.AddressInfo).port;
    const token = ring.signLink({ action: 'unsubscribe', contactId: 1, channel: 'email', groupIds: [] });
    const page = await fetch(`http://127.0.0.1:${port2}/u/${token}`, { headers: { connection: 'close' } });
    expect(page.status).toBe(500);
    const html = await page.text();
    expect(html).toContain('Something went wrong');
    expect(html).not.toContain('secret detail');
    expect(errors).toHaveLength(2);
  });
});
