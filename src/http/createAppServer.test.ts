/**
 * @module `createAppServer` and `createApp`'s `app.listen`: requests and responses are born with the
 * app's prototypes, Express's helpers and mounted sub-apps work as with `http.createServer(app)`,
 * Node's server options pass through, and `listen` keeps Express's error callback.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { afterEach, describe, expect, test } from 'vitest';
import { KeyRing } from '../links/index.js';
import { openStore } from '../store/index.js';
import { createSubscriptions } from '../subscriptions/index.js';
import { createApp } from './createApp.js';
import { createAppServer } from './createAppServer.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Listens on a free local port; returns the origin. */
async function start(server: http.Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Records, before Express sees them, whether a request and its response had the app's prototypes. */
function bornWith(server: http.Server, app: Express): boolean[] {
  const seen: boolean[] = [];
  const prototypes = app as unknown as { request: object; response: object };
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen.push(
      Object.getPrototypeOf(req) === prototypes.request && Object.getPrototypeOf(res) === prototypes.response,
    );
  });
  return seen;
}

/** An app that uses Express's request and response helpers, with a sub-app mounted at /sub. */
function helperApp() {
  const app = express();
  app.get('/echo/:word', (req, res) => {
    res.status(201).json({
      word: req.params.word,
      header: req.get('x-probe') ?? null,
      query: req.query.q ?? null,
      isNodeRequest: req instanceof http.IncomingMessage && res instanceof http.ServerResponse,
      app: req.app === app,
    });
  });
  const sub = express();
  sub.get('/where', (req, res) => {
    res.type('text').send(req.app === sub ? `sub at ${req.baseUrl}` : 'wrong app');
  });
  app.use('/sub', sub);
  app.get('/after-sub', (req, res) => {
    res.send(req.app === app && Object.getPrototypeOf(req) === app.request ? 'parent' : 'wrong app');
  });
  return app;
}

describe('createAppServer', () => {
  test("requests and responses are born with the app's prototypes; helpers work", async () => {
    const app = helperApp();
    const server = createAppServer(app);
    const seen = bornWith(server, app);
    const origin = await start(server);
    const answer = await fetch(`${origin}/echo/hello?q=1`, { headers: { 'x-probe': 'p' } });
    expect(answer.status).toBe(201);
    expect(await answer.json()).toEqual({
      word: 'hello',
      header: 'p',
      query: '1',
      isNodeRequest: true,
      app: true,
    });
    expect(seen).toEqual([true]);
  });

  test("a mounted sub-app gets its own prototypes and the parent's come back after it", async () => {
    const app = helperApp();
    const origin = await start(createAppServer(app));
    // Sequential requests on one kept-alive connection: the sub-app's swap must not leak.
    for (let i = 0; i < 3; i++) {
      expect(await (await fetch(`${origin}/sub/where`)).text()).toBe('sub at /sub');
      expect(await (await fetch(`${origin}/after-sub`)).text()).toBe('parent');
      expect((await fetch(`${origin}/missing`)).status).toBe(404);
    }
  });

  test("Node's server options pass through", () => {
    const server = createAppServer(express(), { requestTimeout: 12_345, headersTimeout: 6_789 });
    expect(server.requestTimeout).toBe(12_345);
    expect(server.headersTimeout).toBe(6_789);
  });
});

describe("createApp's app.listen", () => {
  async function unsubApp() {
    const store = await openStore({ sqlitePath: ':memory:' });
    const subscriptions = createSubscriptions({ store });
    const app = createApp({ store, subscriptions, keyRing: KeyRing.generate(), baseUrl: 'http://127.0.0.1' });
    return { app, close: () => store.close() };
  }

  test('serves through createAppServer (requests born with the prototypes) with the same pages', async () => {
    const { app, close } = await unsubApp();
    try {
      const server = await new Promise<http.Server>((resolve) => {
        const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
      });
      servers.push(server);
      const seen = bornWith(server, app);
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const health = await fetch(`${origin}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ ok: true });
      const bad = await fetch(`${origin}/u/not-a-token`);
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toMatch(/^text\/html/);
      expect(seen).toEqual([true, true]);
    } finally {
      await close();
    }
  });

  test("keeps Express's contract: the callback is called once, with a listening error", async () => {
    const blocker = http.createServer();
    const origin = await start(blocker);
    const port = Number(new URL(origin).port);
    const { app, close } = await unsubApp();
    try {
      const calls: unknown[][] = [];
      const server = app.listen(port, '127.0.0.1', (...args: unknown[]) => calls.push(args));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(server.listening).toBe(false);
      expect(calls).toHaveLength(1);
      expect((calls[0]?.[0] as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    } finally {
      await close();
    }
  });
});
