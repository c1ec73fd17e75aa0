/**
 * @module The request log of the HTTP app: a request id per request (returned as `X-Request-Id`),
 * one pino line per request naming the route pattern (never the raw path: it carries link
 * tokens), and the `http_request_duration_seconds` histogram.
 */
export {
  createRequestLog,
  noteContactId,
  routePatternOf,
  requestIdOf,
  type RequestLogOptions,
} from './createRequestLog.js';
