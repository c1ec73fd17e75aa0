/**
 * @module `createRequestLog`: the first middleware of the app. It gives each request an id (the
 * caller's `X-Request-Id` when short and safe, else a new UUID), returns it on every response,
 * learns the route pattern the router matched, and when the response ends writes ONE log line and
 * one histogram observation with `{method, route, status}`.
 *
 * What is logged is built here field by field, never from the request itself: no URL (tokens),
 * no headers (the admin token, session cookies), no body (addresses, CSRF tokens).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { Histogram, type Registry } from 'prom-client';

/** Options of {@link createRequestLog}. */
export interface RequestLogOptions {
  /** Where the request lines go; omit for metrics and request ids only. */
  logger?: Logger;
  /** Where `http_request_duration_seconds` is registered; omit for no metric. */
  registry?: Registry;
}

/** A caller's request id is kept when it is this safe: short, printable, no spaces or quotes. */
const safeRequestId = /^[A-Za-z0-9._:@-]{1,64}$/;

/** The route label of a request no route matched (404s, assets): bounded, like every label. */
const unmatched = '(unmatched)';

const routeKey = Symbol('unsub.route');
const contactKey = 'unsubContactId';

type Tracked = IncomingMessage & { [routeKey]?: string; id?: unknown };

/** The request id given to `req` (empty before the request log ran). */
export function requestIdOf(req: IncomingMessage): string {
  const id = (req as Tracked).id;
  return typeof id === 'string' ? id : '';
}

/** The route pattern the router matched for `req`, e.g. `/u/:token`, `/api/contacts/:id`. */
export function routePatternOf(req: IncomingMessage): string {
  return (req as Tracked)[routeKey] ?? unmatched;
}

/** Notes the contact a request concerns (a link page, an admin contact route), for its log line. */
export function noteContactId(res: Response, contactId: number): void {
  res.locals[contactKey] = contactId;
}

/**
 * Express sets `req.route` when a route matches, while `req.baseUrl` still holds the mount path of
 * its router (which is restored when the router exits). Catch that moment: the full pattern is the
 * base plus the route's path. A getter/setter keeps `req.route` working for everyone else.
 */
function trackRoute(req: Request): void {
  let route: unknown;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: { path?: unknown } | undefined) {
      route = value;
      const pattern = value ? patternOf(value.path, req.path) : undefined;
      if (pattern !== undefined) (req as Tracked)[routeKey] = `${req.baseUrl}${pattern}`;
    },
  });
}

/**
 * A route's pattern: its path, or for a route of several paths (`['/u/:token', '/s/:code']`) the one
 * whose static start the request's path has (a pattern, never the path itself: it holds tokens).
 */
function patternOf(path: unknown, requestPath: string): string | undefined {
  if (typeof path === 'string') return path;
  if (!Array.isArray(path)) return undefined;
  const patterns = path.filter((candidate): candidate is string => typeof candidate === 'string');
  return patterns.find((candidate) => requestPath.startsWith(candidate.split(':')[0] ?? '')) ?? patterns[0];
}

/** The request-log middleware (see the module comment). */
export function createRequestLog(options: RequestLogOptions): RequestHandler {
  const histogram = options.registry
    ? new Histogram({
        name: 'http_request_duration_seconds',
        help: 'HTTP requests by method, route pattern and status: time to the last byte of the response',
        labelNames: ['method', 'route', 'status'] as const,
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [options.registry],
      })
    : undefined;

  const fields = (req: IncomingMessage, res: ServerResponse, responseTime: number) => {
    const contactId = (res as Response).locals?.[contactKey] as number | undefined;
    return {
      method: req.method,
      route: routePatternOf(req),
      status: res.statusCode,
      durationMs: responseTime,
      ...(contactId === undefined ? {} : { contactId }),
    };
  };
  const log = options.logger
    ? pinoHttp({
        logger: options.logger,
        genReqId: (req) => requestIdOf(req),
        quietReqLogger: true,
        quietResLogger: true,
        customAttributeKeys: { reqId: 'requestId' },
        customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
        customSuccessMessage: (req, res) => `${req.method ?? ''} ${routePatternOf(req)} ${res.statusCode}`,
        customErrorMessage: (req, res) => `${req.method ?? ''} ${routePatternOf(req)} ${res.statusCode}`,
        customSuccessObject: (req, res, value: { responseTime: number }) =>
          fields(req, res, value.responseTime),
        // The error itself was logged (with its stack) by the error handler; only its code here.
        customErrorObject: (req, res, error, value: { responseTime: number }) => ({
          ...fields(req, res, value.responseTime),
          error: (error as { code?: unknown }).code ?? error.name,
        }),
      })
    : undefined;

  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && safeRequestId.test(given) ? given : randomUUID();
    (req as Tracked).id = id;
    res.setHeader('X-Request-Id', id);
    trackRoute(req);
    if (histogram) {
      const end = histogram.startTimer();
      res.once('finish', () =>
        end({ method: req.method, route: routePatternOf(req), status: String(res.statusCode) }),
      );
    }
    if (log) log(req, res, next);
    else next();
  };
}
