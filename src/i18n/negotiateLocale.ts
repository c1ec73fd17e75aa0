/**
 * @module Which locale a page speaks. First match wins: the page's `?lang=`, the link's own locale
 * (token claim `l`), a choice remembered from an earlier `?lang=` (the console's cookie), the
 * browser's `Accept-Language`, the sender's `defaultLocale`, then `en`. A page offered in fewer
 * locales (the console: `en`, `ru`) passes over a source naming another one.
 *
 * Matching is CLDR "best fit" (`@formatjs/intl-localematcher`): `de-AT` → `de`, `pt` → `pt-BR`,
 * `zh` → `zh-CN`. Input is never trusted: a `?lang=` or claim that is no supported locale is
 * ignored (never echoed), and `Accept-Language` is cut to its first 512 characters and 16 ranges
 * before any parsing, so a 10 KB or garbage header costs next to nothing and never throws.
 */
import { match } from '@formatjs/intl-localematcher';
import { isSupportedLocale, sourceLocale, supportedLocales, type Locale } from './locales.js';

/** Longest part of an `Accept-Language` header read; real browsers send well under 200 characters. */
const maxAcceptLanguageLength = 512;
/** Most language ranges read from one header. */
const maxRanges = 16;
/** A language tag as `Accept-Language` carries it (BCP 47 shape, no wildcards). */
const tagPattern = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8}){0,4}$/;
const qPattern = /^q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/i;

/** Matched tags by requested tag: the same few browser languages come back all day. */
const matchCache = new Map<string, Locale | null>();
const maxCached = 256;

/**
 * The supported locale that best serves one requested tag (`de-AT` → `de`), or undefined.
 * Never throws: a tag that is not well-formed is simply unmatched.
 */
export function matchLocale(tag: string): Locale | undefined {
  if (isSupportedLocale(tag)) return tag;
  if (tag.length > 64 || !tagPattern.test(tag)) return undefined;
  const key = tag.toLowerCase();
  let found = matchCache.get(key);
  if (found === undefined) {
    found = null;
    try {
      const best = match([tag], supportedLocales, '', { algorithm: 'best fit' });
      if (isSupportedLocale(best)) found = best;
    } catch {
      // A tag ICU refuses (e.g. a private-use or malformed subtag): no match.
    }
    if (matchCache.size >= maxCached) matchCache.clear();
    matchCache.set(key, found);
  }
  return found ?? undefined;
}

/**
 * The language ranges of an `Accept-Language` header, best first (ties keep header order), without
 * `*` and `q=0`. Reads at most the first 512 characters and 16 ranges; never throws.
 */
export function parseAcceptLanguage(header: string | undefined): string[] {
  if (!header) return [];
  const ranges: { tag: string; q: number; order: number }[] = [];
  const parts = header.slice(0, maxAcceptLanguageLength).split(',', maxRanges);
  for (const [order, part] of parts.entries()) {
    const [rawTag = '', ...params] = part.split(';');
    const tag = rawTag.trim();
    if (!tagPattern.test(tag)) continue;
    let q = 1;
    for (const param of params) {
      const qMatch = qPattern.exec(param.trim());
      if (qMatch) q = Number(qMatch[1]);
    }
    if (q > 0) ranges.push({ tag, q, order });
  }
  return ranges.sort((a, b) => b.q - a.q || a.order - b.order).map((range) => range.tag);
}

/** Where the negotiated locale came from (for tests and for deciding what the switcher keeps). */
export type LocaleSource = 'query' | 'link' | 'remembered' | 'header' | 'default' | 'fallback';

/** What a request offers for choosing the locale; every field is untrusted input. */
export interface LocaleRequest {
  /** `?lang=` of the page (any value; only an exactly supported tag or a matchable one counts). */
  query?: unknown;
  /** The link's claim `l`. */
  linkLocale?: string | undefined;
  /** The `Accept-Language` header. */
  acceptLanguage?: string | undefined;
  /** A choice remembered from an earlier `?lang=` (the console's cookie), after the link's claim. */
  remembered?: string | undefined;
  /** The sender's `defaultLocale` page setting. */
  defaultLocale?: string | undefined;
  /**
   * The locales this page is offered in (default: every supported locale). A source that names
   * another locale is passed over, so `Accept-Language: ar, ru` gives the console `ru`.
   */
  offered?: readonly Locale[];
}

/** The locale `tag` matches, when the page is offered in it. (A plain function: pages call this per request.) */
function pick(tag: string, offered: readonly Locale[] | undefined): Locale | undefined {
  const locale = matchLocale(tag);
  return locale && (!offered || offered.includes(locale)) ? locale : undefined;
}

/** Picks the page's locale; first match wins (see the module comment). Never throws. */
export function negotiateLocale(request: LocaleRequest): { locale: Locale; source: LocaleSource } {
  const offered = request.offered;
  if (typeof request.query === 'string') {
    const fromQuery = pick(request.query, offered);
    if (fromQuery) return { locale: fromQuery, source: 'query' };
  }
  if (request.linkLocale) {
    const fromLink = pick(request.linkLocale, offered);
    if (fromLink) return { locale: fromLink, source: 'link' };
  }
  if (request.remembered) {
    const fromMemory = pick(request.remembered, offered);
    if (fromMemory) return { locale: fromMemory, source: 'remembered' };
  }
  // Without the header there is nothing to parse (and no array of ranges to make).
  if (request.acceptLanguage) {
    for (const tag of parseAcceptLanguage(request.acceptLanguage)) {
      const fromHeader = pick(tag, offered);
      if (fromHeader) return { locale: fromHeader, source: 'header' };
    }
  }
  const fallback = request.defaultLocale;
  if (isSupportedLocale(fallback) && (!offered || offered.includes(fallback)))
    return { locale: fallback, source: 'default' };
  return { locale: sourceLocale, source: 'fallback' };
}
