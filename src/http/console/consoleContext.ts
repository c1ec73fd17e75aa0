/**
 * @module What every console route shares: its dependencies (`ConsoleContext`), the page headers
 * (a CSP that allows only our own script, style and frames), the guards — a page without a session
 * answers 303 to `/signin?next=…`, a form without a session the same, and a form without its CSRF
 * token a 403 page — and small helpers to read form fields and send pages and redirects.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { KeyRing } from '../../links/index.js';
import type { Store } from '../../store/index.js';
import type { Subscriptions } from '../../subscriptions/index.js';
import type { WebhookSettings } from '../../webhooks/index.js';
import type { Pages } from '../createPages.js';
import type { MessageValues, Translator } from '../../i18n/index.js';
import { consoleLanguageChoices, consoleTranslator, languageSwitchTarget } from './consoleLanguage.js';
import type { ConsoleSession, SessionManager } from './consoleSession.js';
import type { ConsoleFrame, ConsoleSection, ConsoleViewName, ConsoleViews } from './consoleViews.js';

/** The dependencies of the console routes. */
export interface ConsoleContext {
  store: Store;
  subscriptions: Subscriptions;
  webhookSettings: WebhookSettings;
  keyRing: KeyRing;
  /** Public base URL of the links (UNSUB_BASE_URL). */
  baseUrl: string;
  /** The app's path prefix under that base ('' at the root): prefixed to every URL we write. */
  basePath: string;
  now: () => number;
  views: ConsoleViews;
  sessions: SessionManager;
  /** The public pages' renderer (the same one `/u` and `/m` use), for the branding preview. */
  publicPages: Pages;
  /** Tells the dispatcher that deliveries became due (retry, replay, enable). */
  wake: () => void;
}

/**
 * The console's Content-Security-Policy: our own script (no inline script or style), fetches and
 * frames (the branding preview) to ourselves only, and no framing of the console itself.
 */
export const consolePolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; " +
  "connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Headers of every console page: its CSP, never cached (secrets and contact data), never indexed. */
export function setConsoleHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', consolePolicy);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Robots-Tag', 'noindex, nofollow');
}

/** The session a guard found (only after `requirePage`/`requireForm`). */
export function sessionOf(res: Response): ConsoleSession {
  return res.locals.consoleSession as ConsoleSession;
}

/** The language of this console response (negotiated on first use; see `consoleLanguage.ts`). */
export function i18nOf(context: Pick<ConsoleContext, 'basePath'>, res: Response): Translator {
  return consoleTranslator(res.req, res, context.basePath === '' ? '/' : context.basePath);
}

/** A console text in the response's language: `say(context, res, 'console.groups.title')`. */
export function say(
  context: Pick<ConsoleContext, 'basePath'>,
  res: Response,
  key: string,
  values?: MessageValues,
): string {
  return i18nOf(context, res).t(key, values);
}

/**
 * Sends a console page with the session's form token in its frame, in the negotiated language.
 * `frame.title` is a message key (`console.groups.title`) or `[key, values]`.
 */
export function sendPage(
  context: ConsoleContext,
  res: Response,
  view: ConsoleViewName,
  frame: { title: string | [string, MessageValues]; section?: ConsoleSection },
  data: Record<string, unknown>,
  status = 200,
): void {
  const session = res.locals.consoleSession as ConsoleSession | undefined;
  const i18n = i18nOf(context, res);
  const [titleKey, titleValues] = typeof frame.title === 'string' ? [frame.title, undefined] : frame.title;
  const full: ConsoleFrame = {
    title: i18n.t(titleKey, titleValues),
    ...(frame.section ? { section: frame.section } : {}),
    ...(session ? { csrfToken: session.csrfToken } : {}),
    i18n,
    languageSwitch: { ...languageSwitchTarget(res.req), choices: consoleLanguageChoices(i18n.locale) },
  };
  setConsoleHeaders(res);
  res
    .status(status)
    .type('html')
    .send(context.views.render(view, full, data));
}

/**
 * The 303 to a console path (under the base path), with the console's headers: how a form that
 * worked answers (post/redirect/get), and how sign-in and sign-out move the user on.
 */
export function redirectTo(context: ConsoleContext, res: Response, path: string): void {
  // A `?lang=` on a page that redirects (to sign-in, say) is still remembered for the next page.
  i18nOf(context, res);
  setConsoleHeaders(res);
  res.redirect(303, `${context.basePath}${path}`);
}

/** The 404 page of a record that does not exist: "No such contact" / "There is no contact 7." */
export function sendNotFound(
  context: ConsoleContext,
  res: Response,
  section: ConsoleSection,
  noun: 'contact' | 'delivery' | 'template' | 'version',
  id: unknown,
): void {
  const i18n = i18nOf(context, res);
  sendPage(
    context,
    res,
    'error',
    { title: 'console.error.notFound', section },
    {
      heading: i18n.t('console.error.noSuch', { noun }),
      message: i18n.t('console.error.noSuchMessage', { noun, id: String(id ?? '') }),
    },
    404,
  );
}

/** The 403 page (or JSON) of a form without its session's CSRF token. */
export function refuseForm(context: ConsoleContext, req: Request, res: Response): void {
  const message = say(context, res, 'console.error.formRefusedMessage');
  if (wantsJson(req)) {
    setConsoleHeaders(res);
    res.status(403).json({ error: { code: 'forbidden', message } });
    return;
  }
  const heading = say(context, res, 'console.error.formRefused');
  sendPage(context, res, 'error', { title: 'console.error.formRefused' }, { heading, message }, 403);
}

/** Where the console sends a signed-in user who asked for nothing in particular. */
export const consoleHome = '/dashboard';

/** The console's own paths: the only targets `next` may name (no open redirect). */
const consolePaths =
  /^\/(dashboard|audit|settings\/webhooks|settings\/pages|deliveries|groups|contacts|templates)(?=$|[/?#])/;

/** A safe `next` target: a console path, else the console's home. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && next.length <= 2_000 && consolePaths.test(next) ? next : consoleHome;
}

/** The 303 to sign-in, coming back to `next` afterwards. */
function toSignIn(context: ConsoleContext, res: Response, next: string): void {
  redirectTo(context, res, `/signin?next=${encodeURIComponent(safeNext(next))}`);
}

/** Guard of a console page (GET): signed in, or 303 to sign-in. */
export function requirePage(context: ConsoleContext): RequestHandler {
  return async (req, res, next) => {
    const session = await context.sessions.read(req);
    if (!session) return toSignIn(context, res, req.originalUrl);
    res.locals.consoleSession = session;
    next();
  };
}

/** True when the client asked for JSON (the progressive script's fetches). */
export function wantsJson(req: Request): boolean {
  return req.accepts(['html', 'json']) === 'json';
}

/** Console forms are small: a few fields, a URL, a notice text. */
const formBody = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 });

/**
 * Guards of a console form (POST): signed in (else 303 to sign-in, back to `back`), then the body,
 * then the session's CSRF token in `_csrf` (else a 403 page, or 403 JSON for scripts).
 */
export function requireForm(
  context: ConsoleContext,
  back: string | ((req: Request) => string),
): RequestHandler[] {
  return [
    async (req, res, next) => {
      const session = await context.sessions.read(req);
      if (!session) return toSignIn(context, res, typeof back === 'string' ? back : back(req));
      res.locals.consoleSession = session;
      next();
    },
    formBody,
    (req, res, next) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (context.sessions.checkCsrf(sessionOf(res), body._csrf)) return next();
      refuseForm(context, req, res);
    },
  ];
}

/** One form field as a string ('' when missing; the first value when sent twice). */
export function field(req: Request, name: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : '';
}

/** Every value of a repeated form field (checkboxes). */
export function fieldList(req: Request, name: string): string[] {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.filter((item): item is string => typeof item === 'string');
}

/** One query parameter as a string ('' when missing or repeated oddly). */
export function queryParam(req: Request, name: string): string {
  const value = req.query[name];
  return typeof value === 'string' ? value : '';
}

/** A positive integer id from a path or form value, or undefined. */
export function parseId(value: unknown): number | undefined {
  return typeof value === 'string' && /^[1-9][0-9]{0,14}$/.test(value) ? Number(value) : undefined;
}
