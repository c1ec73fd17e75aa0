/**
 * @module The console's language: `en` or `ru`, negotiated like the public pages — first match wins:
 * the page's `?lang=`, the choice remembered from an earlier `?lang=` (a cookie), the browser's
 * `Accept-Language`, then `en`. A language the console does not speak (`ar`, `de`, …) is passed
 * over, never echoed. The answer carries `Content-Language` and `Vary: Accept-Language`.
 */
import type { Request, Response } from 'express';
import {
  bundledTranslators,
  consoleLocales,
  localeNames,
  negotiateLocale,
  type Locale,
  type Translator,
} from '../../i18n/index.js';
import { setLanguageHeaders } from '../linkPageContext.js';
import { readCookie } from './consoleSession.js';

/** The cookie remembering the console language chosen with `?lang=`. */
export const consoleLanguageCookie = 'unsub_console_lang';

/** A year: the choice is a preference, not a secret. */
const rememberSeconds = 365 * 24 * 60 * 60;

/**
 * The translator of this console request (negotiated once per request, kept in `res.locals`).
 * A `?lang=` naming a console language is remembered in a cookie under `cookiePath`.
 */
export function consoleTranslator(req: Request, res: Response, cookiePath = '/'): Translator {
  const locals = res.locals as { consoleI18n?: Translator };
  if (locals.consoleI18n) return locals.consoleI18n;
  const remembered = readCookie(req.get('cookie'), consoleLanguageCookie);
  const { locale, source } = negotiateLocale({
    query: req.query.lang,
    remembered,
    acceptLanguage: req.get('accept-language'),
    offered: consoleLocales,
  });
  if (source === 'query' && locale !== remembered && !res.headersSent) {
    res.append(
      'Set-Cookie',
      `${consoleLanguageCookie}=${locale}; Path=${cookiePath}; Max-Age=${rememberSeconds}; HttpOnly; SameSite=Lax`,
    );
  }
  if (!res.headersSent) setLanguageHeaders(res, locale);
  const translator = bundledTranslators()[locale];
  locals.consoleI18n = translator;
  return translator;
}

/** One entry of the header's language switch. */
export interface ConsoleLanguageChoice {
  locale: Locale;
  /** The language's name in itself. */
  name: string;
  selected: boolean;
}

/** The switch's entries, the current language selected. */
export function consoleLanguageChoices(current: Locale): ConsoleLanguageChoice[] {
  return consoleLocales.map((locale) => ({
    locale,
    name: localeNames[locale],
    selected: locale === current,
  }));
}

/** The last path segment of a console form's action (`/contacts/7/erase`), which has no page. */
const formActions =
  /\/(erase|memberships|retry|activate|delete|test|save|remove|rotate|enable|replay|check|preview)$/;

/**
 * Where the switch's GET form goes and what it keeps: the page itself with its other query
 * parameters for a GET; after a POST (a form shown again with its errors) the page that form
 * belongs to (`/contacts/7/erase` → `/contacts/7`), without the posted values.
 */
export function languageSwitchTarget(req: Request): {
  path: string;
  keep: { name: string; value: string }[];
} {
  const url = new URL(req.originalUrl, 'http://console.invalid');
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return { path: url.pathname.replace(formActions, '') || '/', keep: [] };
  const keep = [...url.searchParams]
    .filter(([name]) => name !== 'lang')
    .slice(0, 20)
    .map(([name, value]) => ({ name, value }));
  return { path: url.pathname, keep };
}
