/**
 * @module The ONE place that maps errors to HTTP: stable error codes (links' invalid-token reasons,
 * `StoreError`/`SubscriptionError` codes, body-parser and router failures) → a status and either an
 * HTML page (public routes) or JSON `{ error: { code, message, field? } }` (API routes under `/api`).
 *
 * Rules: a stranger never sees detail on a page (an invalid link is just "not valid"); API callers
 * (who hold the admin token) get the error's own message and field for 4xx. Anything unknown is a
 * 500 without detail, logged with its stack. Express 5 forwards rejected async handlers here.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { UnsubError, type UnsubErrorOptions } from '../errors/index.js';
import { requestIdOf, routePatternOf } from './requestLog/index.js';

/** Where an error is shown: an HTML page for recipients, JSON for API clients. */
export type ErrorSurface = 'page' | 'api';

/** Options of `HttpError`. */
export interface HttpErrorOptions extends UnsubErrorOptions {
  /** The status to answer with; default from the code table (500 for unknown codes). */
  status?: number;
  /** Extra response headers (e.g. `Allow` for 405). */
  headers?: Record<string, string>;
}

/**
 * An error raised by the HTTP layer itself (a bad link, an unreadable form, a wrong method). Other
 * parts' errors are mapped by their `code`; this one may also carry an explicit status.
 */
export class HttpError extends UnsubError<string> {
  readonly status: number | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: string, message: string, options: HttpErrorOptions = {}) {
    super(code, message, options);
    this.status = options.status;
    this.headers = options.headers;
  }
}

/** How one error is answered. */
export interface HttpProblem {
  status: number;
  /** Stable code for API clients, e.g. `invalid_link`, `payload_too_large`. */
  code: string;
  /** What the client is told: the error's message for 4xx on the API, a generic text otherwise. */
  message: string;
  field?: string;
  headers?: Record<string, string>;
  /** True when the error was not foreseen (500): it is logged, its detail never sent. */
  unexpected: boolean;
}

/** The links part's invalid-token reasons: all are one plain 400 "not valid" for strangers. */
const linkReasons = ['malformed', 'bad_signature', 'unknown_key', 'retired_key', 'expired', 'invalid_claims'];

/**
 * Status per stable code: `[api, page]`. Pages differ where the recipient's view differs from an API
 * client's: a contact or group that is gone is 410 behind a link (it existed when the link was made)
 * but 404 for an API lookup.
 */
const statusByCode: Record<string, readonly [api: number, page: number]> = {
  ...Object.fromEntries(linkReasons.map((reason) => [reason, [400, 400] as const])),
  invalid_link: [400, 400],
  bad_request: [400, 400],
  bad_form: [400, 400],
  // Well-formed JSON that fails validation is 422 on the API (a recipient's page just says 400).
  invalid_input: [422, 400],
  malformed_json: [400, 400],
  channel_mismatch: [422, 400],
  unknown_event: [422, 400],
  invalid_event: [422, 400],
  invalid_url: [422, 400],
  unauthorized: [401, 401],
  forbidden: [403, 403],
  not_found: [404, 404],
  contact_not_found: [404, 410],
  group_not_found: [404, 410],
  endpoint_not_found: [404, 404],
  delivery_not_found: [404, 404],
  gone: [410, 410],
  method_not_allowed: [405, 405],
  email_taken: [409, 409],
  system_name_taken: [409, 409],
  url_not_tested: [409, 409],
  delivery_in_flight: [409, 409],
  payload_too_large: [413, 413],
  unsupported_media_type: [415, 415],
  // Sign-in and admin API throttling (issue 13): too many wrong tokens from one address.
  too_many_attempts: [429, 429],
  unavailable: [503, 503],
  // Message templates and render (messageTemplates part, templates API).
  invalid_template: [422, 400],
  invalid_recipient: [422, 400],
  recipient_not_found: [422, 400],
  missing_from: [422, 400],
  template_not_found: [404, 404],
  template_version_not_found: [404, 404],
  template_too_large: [413, 413],
};

/** body-parser / raw-body failure types → our codes. */
const codeByBodyType: Record<string, string> = {
  'entity.too.large': 'payload_too_large',
  'parameters.too.many': 'payload_too_large',
  'entity.parse.failed': 'malformed_json',
  'entity.verify.failed': 'bad_request',
  'encoding.unsupported': 'unsupported_media_type',
  'charset.unsupported': 'unsupported_media_type',
  'request.aborted': 'bad_request',
  'request.size.invalid': 'bad_request',
};

/** What recipients read on an error page, by code or else status: no detail about tokens or the store. */
const pageTexts: Record<string | number, { title: string; message: string }> = {
  bad_form: { title: 'This form could not be read', message: 'Please reload the page and try again.' },
  400: {
    title: 'This link is not valid',
    message: 'Please use the complete link from your most recent email, or contact the sender.',
  },
  401: { title: 'Not allowed', message: 'This page needs authorisation.' },
  403: { title: 'Not allowed', message: 'This page needs authorisation.' },
  404: { title: 'Page not found', message: 'There is nothing at this address.' },
  405: { title: 'Not allowed', message: 'This page cannot be used that way.' },
  409: { title: 'Conflict', message: 'The request conflicts with the current state.' },
  410: {
    title: 'This subscription no longer exists',
    message: 'There is nothing left to unsubscribe: the address is no longer on our lists.',
  },
  413: { title: 'Request too large', message: 'The form sent was too large.' },
  415: { title: 'Unsupported request', message: 'The form was sent in an encoding we cannot read.' },
  429: {
    title: 'Too many attempts',
    message: 'Too many wrong tokens were tried from here. Wait a minute, then try again.',
  },
  500: { title: 'Something went wrong', message: 'Please try again in a moment.' },
  503: { title: 'Temporarily unavailable', message: 'Please try again in a moment.' },
};

/** Generic API messages where the error's own text must not be shown (or there is none). */
const apiTexts: Record<number, string> = {
  400: 'the request is not valid',
  404: 'not found',
  413: 'the request body is too large',
  415: 'the request body uses an unsupported encoding',
  500: 'internal error',
  503: 'the service is temporarily unavailable',
};

function statusFor(code: string, surface: ErrorSurface): number | undefined {
  const pair = statusByCode[code];
  return pair ? pair[surface === 'api' ? 0 : 1] : undefined;
}

/** The shape of http-errors objects thrown by body-parser and the router. */
function httpErrorShape(error: unknown): { status: number; type?: string; expose: boolean } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { status?: unknown; statusCode?: unknown; type?: unknown; expose?: unknown };
  const status =
    typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 0;
  if (status < 400 || status > 599) return undefined;
  return { status, type: typeof e.type === 'string' ? e.type : undefined, expose: e.expose === true };
}

/** Maps any thrown value to the answer for `surface`. Pure; does not log. */
export function toHttpProblem(error: unknown, surface: ErrorSurface): HttpProblem {
  let status: number | undefined;
  let code = 'internal';
  let message: string | undefined;
  let field: string | undefined;
  let headers: Record<string, string> | undefined;

  if (error instanceof UnsubError) {
    code = error.code;
    status = (error instanceof HttpError ? error.status : undefined) ?? statusFor(code, surface);
    // An unsub error naming an input field is that input's fault; without a field and without a
    // known code it is a server-side failure.
    if (status === undefined && error.field !== undefined) status = 400;
    if (status !== undefined && status < 500) {
      message = error.message;
      field = error.field;
    }
    if (error instanceof HttpError) headers = error.headers;
  } else {
    const shape = httpErrorShape(error);
    if (shape) {
      code =
        (shape.type && codeByBodyType[shape.type]) ?? (shape.status === 404 ? 'not_found' : 'bad_request');
      status = statusFor(code, surface) ?? shape.status;
      if (shape.status >= 500) code = 'internal';
    }
  }

  if (status === undefined || status >= 500) {
    status ??= 500;
    if (status === 500) code = 'internal';
  }
  const unexpected = status === 500;
  if (surface === 'page') {
    message = pageText(code, status).message;
    field = undefined;
  } else {
    message ??= apiTexts[status] ?? apiTexts[status < 500 ? 400 : 500] ?? 'error';
  }
  return { status, code, message, ...(field ? { field } : {}), ...(headers ? { headers } : {}), unexpected };
}

/** The title and text of the error page for a code and status. */
function pageText(code: string, status: number): { title: string; message: string } {
  return (
    pageTexts[code] ??
    pageTexts[status] ??
    (pageTexts[status < 500 ? 400 : 500] as { title: string; message: string })
  );
}

/** The statuses whose page has its own text in the catalogs (`error.<key>.title/.message`). */
const pageKeysByStatus: Record<number, string> = {
  400: '400',
  401: '401',
  403: '401',
  404: '404',
  405: '405',
  409: '409',
  410: '410',
  413: '413',
  415: '415',
  500: '500',
  503: '503',
};

/**
 * The catalog key of the error page for a problem (`badForm`, `400`, …): its texts are
 * `error.<key>.title` and `error.<key>.message` in `locales/`, the same choice `pageText` makes.
 */
export function errorPageKey(problem: Pick<HttpProblem, 'code' | 'status'>): string {
  if (problem.code === 'bad_form') return 'badForm';
  return pageKeysByStatus[problem.status] ?? (problem.status < 500 ? '400' : '500');
}

/** The heading of the error page for a problem. */
export function errorPageTitle(problem: Pick<HttpProblem, 'code' | 'status'>): string {
  return pageText(problem.code, problem.status).title;
}

/** True for requests to the JSON API (everything under `/api`). */
export function isApiRequest(req: Request): boolean {
  const url = req.originalUrl;
  return url === '/api' || url.startsWith('/api/') || url.startsWith('/api?');
}

/** Writes `problem` as the JSON error body of the API. */
export function sendApiProblem(res: Response, problem: HttpProblem): void {
  res.status(problem.status);
  if (problem.headers) res.set(problem.headers);
  res.set('Cache-Control', 'no-store');
  res.json({
    error: {
      code: problem.code,
      message: problem.message,
      ...(problem.field ? { field: problem.field } : {}),
    },
  });
}

/** Options of `createErrorHandler`. */
export interface ErrorHandlerOptions {
  /** Renders a full HTML error page (in the request's language). */
  renderErrorPage(problem: HttpProblem, title: string, req: Request, res: Response): string;
  /** Receives unexpected errors (500) with their stack. */
  logger: Pick<Console, 'error'>;
}

/** The app's last middleware: answers every error as a page or JSON, logging the unexpected. */
export function createErrorHandler(options: ErrorHandlerOptions): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    const api = isApiRequest(req);
    const problem = toHttpProblem(error, api ? 'api' : 'page');
    if (problem.unexpected)
      options.logger.error(
        `unsub: ${req.method} ${routePatternOf(req)} failed (request ${requestIdOf(req)}):`,
        error,
      );
    // Too late for an error page: let Express end the connection.
    if (res.headersSent) return next(error);
    if (api) return sendApiProblem(res, problem);
    res.status(problem.status);
    if (problem.headers) res.set(problem.headers);
    res.set('Cache-Control', 'no-store');
    res.type('html').send(options.renderErrorPage(problem, errorPageTitle(problem), req, res));
  };
}

/** Answers every request that no route took with a 404 (page or JSON). */
export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new HttpError('not_found', 'there is nothing at this address', { status: 404 }));
};

/** A handler for a known path hit with a method it does not support. */
export function methodNotAllowed(allowed: string[]): RequestHandler {
  const allow = allowed.join(', ');
  return (req, _res, next) => {
    next(
      new HttpError('method_not_allowed', `${req.method} is not allowed here; use ${allow}`, {
        status: 405,
        headers: { Allow: allow },
      }),
    );
  };
}
