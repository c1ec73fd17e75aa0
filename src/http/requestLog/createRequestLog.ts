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

/** A matched route as the setter saw it; its pattern is worked out when first asked for. */
interface SeenRoute {
  path: string | unknown[];
  /** `req.baseUrl` then: the mount path of the route's router. */
  base: string;
  /** `req.url` then (relative to that router): picks the pattern of a route of several paths. */
  url: string;
}

/**
 * What the request log keeps of one request until its response ends, in ONE object on the request:
 * every property added to a request object is a slow store (requests change prototype per app, so
 * these stores never settle on one shape), and the log used to add four per request.
 */
interface RequestState {
  id: string;
  /** `req.route` as Express set it. */
  routeValue: unknown;
  /** The matched route as the setter saw it, then its pattern once worked out. */
  route: string | SeenRoute | undefined;
  /** `Date.now()` at the start (the line's `durationMs`). */
  started: number;
  /** `performance.now()` at the start (the histogram's finer duration). */
  startedAt: number;
  /** The line was written (a failure, then the 'close' that follows it, write one line). */
  logged: boolean;
}

const stateKey = Symbol('unsub.requestLog');
const routeValue = Symbol('unsub.routeValue');

/** A request, with the request log's state once it ran (and the route on itself if it did not). */
type Tracked = IncomingMessage & {
  [stateKey]?: RequestState;
  [routeKey]?: string | SeenRoute;
  [routeValue]?: unknown;
};

/** The request id given to `req` (empty before the request log ran). */
export function requestIdOf(req: IncomingMessage): string {
  return (req as Tracked)[stateKey]?.id ?? '';
}

/** The route pattern the router matched for `req`, e.g. `/u/:token`, `/api/contacts/:id`. */
export function routePatternOf(req: IncomingMessage): string {
  const state = (req as Tracked)[stateKey];
  const seen = state ? state.route : (req as Tracked)[routeKey];
  if (seen === undefined || typeof seen === 'string') return seen ?? unmatched;
  const pattern = typeof seen.path === 'string' ? seen.path : patternOf(seen.path, seen.url);
  const full = pattern === undefined ? unmatched : `${seen.base}${pattern}`;
  if (state) state.route = full;
  else (req as Tracked)[routeKey] = full;
  return full;
}

/** Notes the contact a request concerns (a link page, an admin contact route), for its log line. */
export function noteContactId(res: Response, contactId: number): void {
  res.locals[contactKey] = contactId;
}

type WithRoute = Request & Tracked;

/** The request prototypes whose `route` property already reports the matched pattern. */
const trackedPrototypes = new WeakSet<object>();

/**
 * Express sets `req.route` when a route matches, while `req.baseUrl` still holds the mount path of
 * its router (which is restored when the router exits). Catch that moment: the full pattern is the
 * base plus the route's path. An accessor on the requests' prototype (Express's `app.request`, which
 * every request of the app and of its mounted apps inherits from) keeps `req.route` working for
 * everyone else; it is defined once per prototype, not once per request: a per-request
 * `Object.defineProperty` made every request object slower to build and to read.
 */
function trackRoute(req: Request): void {
  const prototype = Object.getPrototypeOf(req) as object | null;
  if (prototype === null || trackedPrototypes.has(prototype)) return;
  trackedPrototypes.add(prototype);
  Object.defineProperty(prototype, 'route', {
    configurable: true,
    enumerable: true,
    get(this: WithRoute) {
      const state = this[stateKey];
      return state ? state.routeValue : this[routeValue];
    },
    set(this: WithRoute, value: { path?: unknown } | undefined) {
      // The router sets the route it matched, then the route sets itself again as it dispatches:
      // the same route at the same place is nothing new (and noting it again cost every request).
      const state = this[stateKey];
      const seen = state ? state.route : this[routeKey];
      if (
        value === (state ? state.routeValue : this[routeValue]) &&
        typeof seen === 'object' &&
        seen.base === this.baseUrl &&
        seen.url === this.url
      ) {
        return;
      }
      if (state) state.routeValue = value;
      else this[routeValue] = value;
      // Only noted here (the pattern is wanted once, at the end).
      const path = value?.path;
      if (typeof path === 'string' || Array.isArray(path)) {
        const route = { path, base: this.baseUrl, url: this.url };
        if (state) state.route = route;
        else this[routeKey] = route;
      }
    },
  });
}

/**
 * A route's pattern: its path, or for a route of several paths (`['/u/:token', '/s/:code']`) the one
 * whose static start the request's path has (a pattern, never the path itself: it holds tokens).
 */
function patternOf(paths: unknown[], requestPath: string): string | undefined {
  let starts = staticStarts.get(paths);
  if (!starts) {
    starts = paths
      .filter((candidate): candidate is string => typeof candidate === 'string')
      .map((pattern) => [pattern.split(':')[0] ?? '', pattern] as const);
    staticStarts.set(paths, starts);
  }
  for (const [start, pattern] of starts) if (requestPath.startsWith(start)) return pattern;
  return starts[0]?.[1];
}

/** Each multi-path route's patterns with their static starts, worked out at its first request. */
const staticStarts = new WeakMap<unknown[], (readonly [string, string])[]>();

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

  const logger = options.logger;
  /**
   * The request's one line, when its response finished, was closed early or failed: the fields
   * pino-http wrote for this app before (`requestId` first, then method, route, status,
   * `durationMs`, `contactId` when noted, `error` for a failure; the same message), written with
   * one call on the app's logger. pino-http made two child loggers and three listeners per request
   * for it, which cost the confirm page more than its own rendering.
   */
  const writeLine = (req: IncomingMessage, res: ServerResponse, seen: RequestState, error?: Error) => {
    if (!logger) return;
    const contactId = (res as Response).locals?.[contactKey] as number | undefined;
    const route = routePatternOf(req);
    const line: Record<string, unknown> = {
      requestId: seen.id,
      method: req.method,
      route,
      status: res.statusCode,
      durationMs: Date.now() - seen.started,
    };
    if (contactId !== undefined) line.contactId = contactId;
    const message = `${req.method ?? ''} ${route} ${res.statusCode}`;
    if (error !== undefined || res.statusCode >= 500) {
      // The error itself was logged (with its stack) by the error handler; only its code here.
      const failure = error ?? new Error(`failed with status code ${res.statusCode}`);
      line.error = (failure as { code?: unknown }).code ?? failure.name;
      logger.error(line, message);
    } else logger.info(line, message);
  };

  /**
   * The end of every response: Node emits 'close' after 'finish' for a response that was sent (and
   * alone for one cut short, which the histogram leaves out, as it always did). One listener made
   * once, not closures per request: what a request needs of it rides on the request (`stateKey`).
   */
  function onClose(this: ServerResponse): void {
    const req = this.req;
    const seen = (req as Tracked)[stateKey];
    if (seen === undefined) return;
    if (histogram && this.writableFinished) {
      histogram.observe(
        { method: req.method, route: routePatternOf(req), status: String(this.statusCode) },
        (performance.now() - seen.startedAt) / 1000,
      );
    }
    if (!seen.logged) {
      seen.logged = true;
      writeLine(req, this, seen);
    }
  }

  /** A response that failed: its line says so (once; the 'close' that follows writes nothing more). */
  function onError(this: ServerResponse, error: Error): void {
    const seen = (this.req as Tracked)[stateKey];
    if (seen === undefined || seen.logged) return;
    seen.logged = true;
    writeLine(this.req, this, seen, error);
  }

  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && safeRequestId.test(given) ? given : randomUUID();
    const watched = histogram !== undefined || logger !== undefined;
    (req as Tracked)[stateKey] = {
      id,
      routeValue: undefined,
      route: undefined,
      started: watched ? Date.now() : 0,
      startedAt: watched ? performance.now() : 0,
      logged: false,
    };
    res.setHeader('X-Request-Id', id);
    trackRoute(req);
    if (watched) {
      res.on('close', onClose);
      if (logger) res.on('error', onError);
    }
    next();
  };
}
