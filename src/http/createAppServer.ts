/**
 * @module `createAppServer`: an HTTP server for an Express app whose requests and responses are
 * born with the app's own prototypes (`app.request`, `app.response`).
 *
 * Express gives every request and response its helpers (`req.get`, `res.send`, …) by swapping the
 * prototype of Node's objects as the request enters the app (`Object.setPrototypeOf` in
 * `app.handle`). V8 has to give each swapped object a new hidden class, and Node's own HTTP code,
 * which reads and writes these objects all through a request, then meets shapes its inline caches
 * did not see: property access falls back to the runtime (`LoadIC_Miss`, `StoreIC_Miss`, map
 * migrations were a fifth of the server's CPU under `perf`). Measured on one 2-core machine
 * (`bench:http`'s load generator, same route, same bytes): a bare Express 5 route took 77–106 µs of
 * server CPU per request, the same handler on a plain Node server 17–28, and with one
 * `setPrototypeOf` of each object added to that plain handler 46–72.
 *
 * Node lets a server construct its requests and responses from given classes
 * (`http.createServer({ IncomingMessage, ServerResponse })`). Constructors whose `prototype` is the
 * app's own objects make Express's swap a no-op (V8 returns early when the prototype is already the
 * one asked for), so nothing changes shape: the bare Express route took 31–35 µs here. The objects
 * are what Express would have made of them — still `instanceof` Node's classes, with every helper —
 * so middleware, routers and error handlers see no difference. Mounted sub-apps still swap to their
 * own prototypes and back, as before.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';

/** The two prototypes an Express app gives its requests and responses. */
interface AppPrototypes {
  request: object;
  response: object;
}

/** Node's constructors are plain functions (not `class`), so a subclass can call them on itself. */
const callable = (constructor: unknown) =>
  typeof constructor === 'function' && !/^class\b/.test(Function.prototype.toString.call(constructor));
const nodeClassesCallable = callable(http.IncomingMessage) && callable(http.ServerResponse);

type Init = (this: unknown, ...args: unknown[]) => void;

/**
 * Constructors Node's server calls (`new Request(socket)`, `new Response(req, options)`): Node's own
 * constructor runs on the object `new` made, whose prototype is the app's. (`Reflect.construct` with
 * a `new.target` would work for classes too, but the object it returns in place of `this` took
 * V8 off its fast path: slower than Express's swap in the same measurement.)
 */
function appClasses(app: Express) {
  const { request, response } = app as unknown as AppPrototypes;
  const initRequest = http.IncomingMessage as unknown as Init;
  const initResponse = http.ServerResponse as unknown as Init;
  function AppRequest(this: unknown, socket: Socket) {
    initRequest.call(this, socket);
  }
  AppRequest.prototype = request;
  function AppResponse(this: unknown, req: http.IncomingMessage, options?: object) {
    initResponse.call(this, req, options);
  }
  AppResponse.prototype = response;
  return {
    IncomingMessage: AppRequest as unknown as typeof http.IncomingMessage,
    ServerResponse: AppResponse as unknown as typeof http.ServerResponse,
  };
}

/**
 * An `http.Server` that answers with `app` (see the module comment). `options` are Node's server
 * options (timeouts, header limits, …) beside the two classes. Should a Node.js version make its
 * request classes ES classes, this is a plain `http.createServer(options, app)`.
 */
export function createAppServer(
  app: Express,
  options: Omit<http.ServerOptions, 'IncomingMessage' | 'ServerResponse'> = {},
): http.Server {
  if (!nodeClassesCallable) return http.createServer(options, app);
  return http.createServer({ ...options, ...appClasses(app) }, app);
}

/**
 * Makes `app.listen` start a {@link createAppServer} server, with Express's own `listen` contract:
 * the arguments of `server.listen`, and a last-argument callback that is also called (once) with a
 * listening error such as `EADDRINUSE`.
 */
export function listenWithAppServer(app: Express): void {
  app.listen = function listen(this: Express, ...args: unknown[]) {
    const server = createAppServer(this);
    const last = args.at(-1);
    if (typeof last === 'function') {
      let called = false;
      const once = (...values: unknown[]) => {
        if (called) return;
        called = true;
        (last as (...values: unknown[]) => void)(...values);
      };
      args[args.length - 1] = once;
      server.once('error', once);
    }
    return server.listen(...(args as Parameters<http.Server['listen']>));
  } as Express['listen'];
}
