/** @module The request log line: its fields in order, the route pattern of a mounted router, failures. */
import type { AddressInfo } from 'node:net';
import express, { Router } from 'express';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { createRequestLog, noteContactId, routePatternOf } from './index.js';

/** An app with the request log in front, logging into `lines`. */
async function serve(lines: string[]) {
  const logger = pino(
    { base: { pid: 1, hostname: 'h' }, timestamp: false },
    { write: (s: string) => lines.push(s) },
  );
  const registry = new Registry();
  const app = express();
  app.use(createRequestLog({ logger, registry }));
  const api = Router();
  api.get('/contacts/:id', (req, res) => {
    noteContactId(res, Number(req.params.id));
    res.json({ route: routePatternOf(req), hasRoute: req.route !== undefined });
  });
  app.use('/api', api);
  app.get(['/a/:x', '/b/:y'], (req, res) => {
    res.json({ route: routePatternOf(req) });
  });
  app.get('/boom', () => {
    throw new Error('boom');
  });
  app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).send('failed');
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, registry, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('createRequestLog', () => {
  test('one line per request: requestId first, the route pattern, status, duration, contact; no path', async () => {
    const lines: string[] = [];
    const app = await serve(lines);
    try {
      const answer = await fetch(`${app.origin}/api/contacts/42?secret=x`, {
        headers: { 'x-request-id': 'abc-1' },
      });
      expect(answer.headers.get('x-request-id')).toBe('abc-1');
      expect(await answer.json()).toEqual({ route: '/api/contacts/:id', hasRoute: true });
      expect(await (await fetch(`${app.origin}/b/secret-token?q=1`)).json()).toEqual({ route: '/b/:y' });
      expect((await fetch(`${app.origin}/boom`)).status).toBe(500);
      expect((await fetch(`${app.origin}/nowhere`)).status).toBe(404);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const [ok, multi, failed, missing] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(Object.keys(ok ?? {})).toEqual([
        'level',
        'pid',
        'hostname',
        'requestId',
        'method',
        'route',
        'status',
        'durationMs',
        'contactId',
        'msg',
      ]);
      expect(ok).toMatchObject({
        level: 30,
        requestId: 'abc-1',
        method: 'GET',
        route: '/api/contacts/:id',
        status: 200,
        contactId: 42,
        msg: 'GET /api/contacts/:id 200',
      });
      expect(multi).toMatchObject({ route: '/b/:y', status: 200 });
      expect(failed).toMatchObject({
        level: 50,
        route: '/boom',
        status: 500,
        error: 'Error',
        msg: 'GET /boom 500',
      });
      expect(failed?.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(missing).toMatchObject({ level: 30, route: '(unmatched)', status: 404 });
      expect(lines.join('')).not.toContain('secret');
      expect(lines.join('')).not.toContain('/contacts/42');
      expect(await app.registry.metrics()).toMatch(
        /http_request_duration_seconds_count\{method="GET",route="\/api\/contacts\/:id",status="200"\} 1/,
      );
    } finally {
      await app.close();
    }
  });
});
