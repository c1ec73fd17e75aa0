/**
 * @module Sign-in and admin API throttling over HTTP: ten wrong tokens a minute from one address,
 * then 429 with Retry-After (even for the right token from that address); the right token from
 * another address (a client bound to 127.0.0.2) is not slowed, and good tokens never count.
 */
import http from 'node:http';
import { describe, expect, test } from 'vitest';
import { createFailureThrottle } from '../../src/http/index.js';
import { adminToken, startConsole } from './consoleHarness.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/**
 * A client whose connections come from `address` (any 127.0.0.0/8 address is local on Linux);
 * node:http, because undici's fetch does not bind its sockets to a local address.
 */
function fetchFrom(address: string) {
  return (
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: URLSearchParams } = {},
  ) =>
    new Promise<Answer>((resolve, reject) => {
      const body = init.body?.toString();
      const request = http.request(
        url,
        {
          method: init.method ?? 'GET',
          localAddress: address,
          agent: false,
          headers: {
            ...init.headers,
            ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
          },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, headers: response.headers, text }),
          );
        },
      );
      request.on('error', reject);
      request.end(body);
    });
}

describe('throttling of wrong tokens', () => {
  test('the admin API answers 429 + Retry-After after 10 wrong tokens from one address, not others', async (context) => {
    const { baseUrl } = await startConsole(context);
    const attacker = fetchFrom('127.0.0.1');
    const other = fetchFrom('127.0.0.2');
    const call = (from: typeof attacker, token: string) =>
      from(`${baseUrl}/api/groups`, { headers: { authorization: `Bearer ${token}` } });

    // Good tokens never count, however many.
    const good = await Promise.all(Array.from({ length: 15 }, () => call(attacker, adminToken)));
    expect(good.map((response) => response.status)).toEqual(Array(15).fill(200));
    for (let i = 0; i < 10; i += 1) expect((await call(attacker, `wrong-${i}`)).status).toBe(401);
    const blocked = await call(attacker, 'wrong-again');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(JSON.parse(blocked.text)).toMatchObject({ error: { code: 'too_many_attempts' } });
    expect((await call(attacker, adminToken)).status).toBe(429);
    expect((await call(other, adminToken)).status).toBe(200);
    expect((await call(other, 'wrong')).status).toBe(401);
  });

  test('the console sign-in answers 429 after 10 wrong tokens; another address signs in', async (context) => {
    const { baseUrl } = await startConsole(context);
    const attacker = fetchFrom('127.0.0.1');
    const other = fetchFrom('127.0.0.2');
    const signIn = (from: typeof attacker, token: string) =>
      from(`${baseUrl}/signin`, {
        method: 'POST',
        body: new URLSearchParams({ token, next: '/groups' }),
      });
    for (let i = 0; i < 10; i += 1) expect((await signIn(attacker, `wrong-${i}`)).status).toBe(401);
    const blocked = await signIn(attacker, adminToken);
    expect(blocked.status).toBe(429);
    expect(blocked.headers['retry-after']).toMatch(/^\d+$/);
    expect(blocked.text).toContain('Too many attempts');
    expect((await attacker(`${baseUrl}/signin`)).status).toBe(200);
    expect((await signIn(other, adminToken)).status).toBe(303);
  });

  test('one throttle in front of two routers (templates API, admin API) counts a failure once', () => {
    const throttle = createFailureThrottle({ limit: 10 });
    const listeners: (() => void)[] = [];
    const res = { statusCode: 401, once: (_event: string, listener: () => void) => listeners.push(listener) };
    const req = { ip: '10.0.0.2', socket: {} } as never;
    throttle.middleware(req, res as never, (() => undefined) as never);
    throttle.middleware(req, res as never, (() => undefined) as never);
    listeners.forEach((listener) => listener());
    expect(throttle.failuresOf('10.0.0.2')).toBe(1);
  });

  test('the window ends: an address may try again after it', () => {
    let now = 0;
    const throttle = createFailureThrottle({ limit: 2, windowMs: 1000, now: () => now });
    const answers: number[] = [];
    const run = (status: number) => {
      const listeners: (() => void)[] = [];
      const res = {
        statusCode: status,
        once: (_event: string, listener: () => void) => listeners.push(listener),
      };
      let blocked = false;
      throttle.middleware(
        { ip: '10.0.0.1', socket: {} } as never,
        res as never,
        ((error?: unknown) => {
          blocked = error !== undefined;
        }) as never,
      );
      if (!blocked) listeners.forEach((listener) => listener());
      answers.push(blocked ? 429 : status);
    };
    run(401);
    run(401);
    run(200);
    now = 1000;
    run(200);
    expect(answers).toEqual([401, 401, 429, 200]);
    expect(throttle.failuresOf('10.0.0.1')).toBe(0);
  });
});
