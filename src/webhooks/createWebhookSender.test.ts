/**
 * @module Tests of the HTTP sender against a local receiver on 127.0.0.1: pinning to the vetted
 * address, refusals, timeouts, redirects, the excerpt limit, retry-after and network errors.
 */
import { createServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import {
  startWebhookReceiver,
  type ReceiverHandler,
  type WebhookReceiver,
} from '../../test/support/webhookReceiver.js';
import { version } from '../version.js';
import {
  createAddressPolicy,
  createWebhookSender,
  type HostLookup,
  type WebhookSender,
  type WebhookSenderOptions,
} from './index.js';

const loopback = createAddressPolicy({ allow: ['127.0.0.0/8'] });
const body = '{"event":"message sent"}';
const opened: { close(): Promise<void> }[] = [];

async function setup(handler?: ReceiverHandler, options: Partial<WebhookSenderOptions> = {}) {
  const receiver = await startWebhookReceiver(handler);
  const sender = createWebhookSender({ policy: loopback, timeoutMs: 2000, ...options });
  opened.push(sender, receiver);
  return { receiver, sender };
}

function post(sender: WebhookSender, receiver: WebhookReceiver, path = '/hook', origin = receiver.origin) {
  return sender.send({ url: `${origin}${path}`, headers: { 'webhook-id': 'msg_1' }, body });
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((item) => item.close()));
});

describe('createWebhookSender', () => {
  it('POSTs the exact body with JSON content type and our user-agent, over kept-alive connections', async () => {
    const { receiver, sender } = await setup((_req, res) => res.writeHead(200).end('thanks'));
    const first = await post(sender, receiver, '/hook?key=1');
    expect(first).toMatchObject({ status: 200, responseExcerpt: 'thanks' });
    expect(first.error).toBeUndefined();
    expect(first.durationMs).toBeGreaterThanOrEqual(0);
    for (let i = 0; i < 5; i += 1) expect((await post(sender, receiver)).status).toBe(200);
    const [request] = receiver.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/hook?key=1', body });
    expect(request?.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': `unsub/${version}`,
      'webhook-id': 'msg_1',
    });
    // undici may open a second socket while the first is being released; it must not open one per request.
    expect(receiver.connections()).toBeLessThanOrEqual(2);
  });

  it('refuses 127.0.0.1 without the allow-list, before connecting', async () => {
    const { receiver } = await setup();
    const sender = createWebhookSender({ policy: createAddressPolicy() });
    opened.push(sender);
    const result = await post(sender, receiver);
    expect(result.status).toBeUndefined();
    expect(result.error?.code).toBe('address_refused');
    expect(result.error?.message).toBe('127.0.0.1 is a loopback address; allow it with UNSUB_WEBHOOK_ALLOW');
    expect(receiver.requests).toHaveLength(0);
    expect(receiver.connections()).toBe(0);
  });

  it('connects to the vetted address with the URL’s host, and re-vets once the cached answer expires (DNS rebinding)', async () => {
    const answers = [['127.0.0.1'], ['10.0.0.5']];
    const lookups: string[] = [];
    const lookup: HostLookup = async (hostname) => {
      lookups.push(hostname);
      return (answers.shift() ?? []).map((address) => ({ address, family: 4 }));
    };
    let clock = 1_000_000;
    const { receiver, sender } = await setup(undefined, { lookup, now: () => clock, dnsCacheMs: 30_000 });
    // `.invalid` never resolves in real DNS: reaching the receiver proves the vetted address was used.
    const origin = `http://hooks.rebind.invalid:${receiver.port}`;
    expect(await post(sender, receiver, '/a', origin)).toMatchObject({ status: 204 });
    expect(receiver.requests[0]?.headers.host).toBe(`hooks.rebind.invalid:${receiver.port}`);
    clock += 29_999; // within the cache period: the vetted address is reused, DNS is not asked
    expect(await post(sender, receiver, '/a2', origin)).toMatchObject({ status: 204 });
    expect(lookups).toEqual(['hooks.rebind.invalid']);
    clock += 1;
    const second = await post(sender, receiver, '/b', origin);
    expect(second.error).toEqual({
      code: 'address_refused',
      message:
        'hooks.rebind.invalid resolves to 10.0.0.5, a private address; allow it with UNSUB_WEBHOOK_ALLOW',
    });
    expect(receiver.requests.map((request) => request.path)).toEqual(['/a', '/a2']);
    expect(lookups).toEqual(['hooks.rebind.invalid', 'hooks.rebind.invalid']);
  });

  it('re-vets on every send with dnsCacheMs 0, and never caches a refusal', async () => {
    const answers = [['10.0.0.5'], ['127.0.0.1'], ['127.0.0.1'], ['127.0.0.1']];
    const lookups: string[] = [];
    const lookup: HostLookup = async (hostname) => {
      lookups.push(hostname);
      return (answers.shift() ?? []).map((address) => ({ address, family: 4 }));
    };
    const { receiver, sender } = await setup(undefined, { lookup });
    const origin = `http://hooks.refused.invalid:${receiver.port}`;
    expect((await post(sender, receiver, '/', origin)).error?.code).toBe('address_refused');
    expect(await post(sender, receiver, '/', origin)).toMatchObject({ status: 204 });
    expect(lookups).toHaveLength(2);
    const uncached = createWebhookSender({ policy: loopback, lookup, dnsCacheMs: 0 });
    opened.push(uncached);
    expect(await post(uncached, receiver, '/', origin)).toMatchObject({ status: 204 });
    expect(await post(uncached, receiver, '/', origin)).toMatchObject({ status: 204 });
    expect(lookups).toHaveLength(4);
  });

  it('keeps the URL’s host as TLS server name (SNI) while connecting to the vetted address', async () => {
    const serverNames: string[] = [];
    // No certificate: the handshake fails after the client sent its server name, which is all we check.
    const server = createTlsServer({
      SNICallback: (name, callback) => {
        serverNames.push(name);
        callback(new Error('no certificate here'));
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    opened.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    const { port } = server.address() as { port: number };
    const sender = createWebhookSender({
      policy: loopback,
      lookup: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    opened.push(sender);
    const result = await sender.send({ url: `https://hooks.tls.invalid:${port}/`, headers: {}, body });
    expect(serverNames).toEqual(['hooks.tls.invalid']);
    expect(result.status).toBeUndefined();
    expect(result.error).toBeDefined();
  });

  it('times out a receiver that never answers', async () => {
    const { receiver, sender } = await setup(() => undefined, { timeoutMs: 150 });
    const result = await post(sender, receiver);
    expect(result.status).toBeUndefined();
    expect(result.error).toEqual({ code: 'timeout', message: 'no complete response within 150 ms' });
  });

  it('times out a body that stalls after the headers, keeping status and what arrived', async () => {
    const { receiver, sender } = await setup(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial');
      },
      { timeoutMs: 150 },
    );
    const result = await post(sender, receiver);
    expect(result).toMatchObject({ status: 200, responseExcerpt: 'partial', error: { code: 'timeout' } });
  });

  it('times out a DNS lookup that hangs', async () => {
    const { receiver, sender } = await setup(undefined, {
      timeoutMs: 100,
      lookup: () => new Promise(() => undefined),
    });
    const result = await post(sender, receiver, '/', `http://slow-dns.invalid:${receiver.port}`);
    expect(result.error?.code).toBe('timeout');
  });

  it('does not follow redirects', async () => {
    const { receiver, sender } = await setup((req, res) => {
      if (req.path === '/hook') res.writeHead(302, { location: '/elsewhere' }).end();
      else res.writeHead(200).end();
    });
    const result = await post(sender, receiver);
    expect(result.status).toBe(302);
    expect(receiver.requests.map((request) => request.path)).toEqual(['/hook']);
  });

  it('keeps at most 20 KB of the response, cut at a character boundary', async () => {
    const big = 'я'.repeat(60_000) + '€'; // 120 KB of two-byte characters
    const { receiver, sender } = await setup((_req, res) => res.writeHead(500).end(big));
    const result = await post(sender, receiver);
    expect(result.status).toBe(500);
    expect(Buffer.byteLength(result.responseExcerpt)).toBe(20 * 1024);
    expect(big.startsWith(result.responseExcerpt)).toBe(true);
    const small = await createWebhookSender({ policy: loopback, excerptBytes: 5 });
    opened.push(small);
    expect((await post(small, receiver)).responseExcerpt).toBe('яя');
  });

  it('reports retry-after in milliseconds', async () => {
    const { receiver, sender } = await setup((_req, res) =>
      res.writeHead(429, { 'retry-after': '30' }).end(),
    );
    expect(await post(sender, receiver)).toMatchObject({ status: 429, retryAfterMs: 30_000 });
  });

  it('reports a reset connection', async () => {
    const { receiver, sender } = await setup((_req, _res, socket) => socket.destroy());
    const result = await post(sender, receiver);
    expect(result.status).toBeUndefined();
    expect(result.error?.code).toBe('connection_reset');
  });

  it('reports a refused connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const sender = createWebhookSender({ policy: loopback });
    opened.push(sender);
    const result = await sender.send({ url: `http://127.0.0.1:${port}/`, headers: {}, body });
    expect(result.error?.code).toBe('connection_refused');
  });

  it('lets headers override the defaults and takes a custom user-agent', async () => {
    const { receiver, sender } = await setup(undefined, { userAgent: 'test-agent/1' });
    await sender.send({
      url: `${receiver.origin}/`,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body,
    });
    expect(receiver.requests[0]?.headers).toMatchObject({
      'user-agent': 'test-agent/1',
      'content-type': 'application/json; charset=utf-8',
    });
  });

  it('refuses invalid URLs without throwing', async () => {
    const { sender } = await setup();
    expect((await sender.send({ url: 'gopher://x/', headers: {}, body })).error?.code).toBe('invalid_url');
  });
});
