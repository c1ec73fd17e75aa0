/**
 * @module What the link pages (`/u/:token`, `/m/:token`) share: their dependencies, verifying the
 * token (every failure is the same plain 400), loading the contact (gone → 410), the page's
 * language and the page frame with the sender's branding.
 */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { negotiateLocale, type Locale, type Translator } from '../i18n/index.js';
import type { KeyRing, LinkClaims } from '../links/index.js';
import type { Contact, Group, Store } from '../store/index.js';
import type { Subscriptions } from '../subscriptions/index.js';
import type { Pages, PageFrame } from './createPages.js';
import { noteContactId } from './requestLog/index.js';
import { HttpError } from './errors.js';
import { senderTextsFor, type PageBranding } from './pageBranding.js';
import { renderSenderText } from './renderSenderText.js';

/** What the link page handlers need. */
export interface LinkPageDeps {
  store: Store;
  subscriptions: Subscriptions;
  keyRing: KeyRing;
  pages: Pages;
  /** The app's confirmation default (UNSUB_CONFIRM); the branding's `confirm` overrides it. */
  confirm: boolean;
  /** Seconds for token expiry checks, or undefined for the key ring's own clock. */
  nowSeconds: () => number | undefined;
  /** The current branding (possibly cached briefly). */
  branding: () => Promise<PageBranding>;
  /** One translator per supported locale (catalogs read once at start-up). */
  translators: Record<Locale, Translator>;
}

/** The page a token was made for: `/u/` for unsubscribe actions, `/m/` for the manager. */
export type LinkPage = 'u' | 'm';

/**
 * Verifies the `:token` (a JWS, under `/u/` and `/m/`) or the `:code` (a compact link, under `/s/`)
 * of a request for `page`. A compact code serves both pages: under `/s/` the unsubscribe routes
 * come first and pass a manager code on (`next('route')`), so only `page: 'm'` checks its action.
 * @throws HttpError `invalid_link` (400) for any bad token — malformed, tampered, foreign or
 * retired key, expired — and for a token made for the other page. The reason stays internal.
 */
export function verifiedClaims(req: Request, deps: LinkPageDeps, page: LinkPage): LinkClaims {
  const { token, code } = req.params;
  const result =
    typeof code === 'string'
      ? deps.keyRing.verifyCompactLink(code, deps.nowSeconds())
      : typeof token === 'string'
        ? deps.keyRing.verifyLink(token, deps.nowSeconds())
        : undefined;
  if (!result?.ok) {
    throw new HttpError('invalid_link', `the link is not valid (${result?.reason ?? 'malformed'})`, {
      status: 400,
    });
  }
  if ((typeof code !== 'string' || page === 'm') && (result.claims.action === 'manage') !== (page === 'm')) {
    throw new HttpError('invalid_link', 'the link is not valid (made for the other page)', { status: 400 });
  }
  if (req.res) noteContactId(req.res, result.claims.contactId);
  return result.claims;
}

/** The contact a link names. @throws HttpError `gone` (410) when it no longer exists. */
export function linkedContact(deps: LinkPageDeps, claims: LinkClaims): Promise<Contact> {
  return deps.store.getContact(claims.contactId).then(presentContact);
}

/** The contact, or the 410 for one that no longer exists. */
function presentContact(contact: Contact | undefined): Contact {
  if (!contact) throw new HttpError('gone', 'the contact of this link no longer exists', { status: 410 });
  return contact;
}

/**
 * The page's language, first match wins: `?lang=`, the link's claim `l`, `Accept-Language`, the
 * sender's `defaultLocale`, `en`. Sets `Content-Language` and `Vary: Accept-Language`, and keeps the
 * locale in `res.locals.locale` so an error page later in the request speaks it too.
 */
export function pageLanguage(
  req: Request,
  res: Response,
  deps: Pick<LinkPageDeps, 'translators'>,
  branding: PageBranding,
  claims?: LinkClaims,
): Translator {
  const { locale } = negotiateLocale({
    // Express parses the query string anew at every `req.query`: a link without one has no `?lang=`.
    query: req.url.includes('?') ? req.query.lang : undefined,
    linkLocale: claims?.locale,
    acceptLanguage: req.get('accept-language'),
    defaultLocale: branding.defaultLocale,
  });
  setLanguageHeaders(res, locale);
  return deps.translators[locale];
}

/** `Content-Language`, `Vary: Accept-Language` and `res.locals.locale` for a page in `locale`. */
export function setLanguageHeaders(res: Response, locale: Locale): void {
  res.setHeader('Content-Language', locale);
  // Most pages have no Vary yet: set it outright (res.vary parses and merges, on the hot path).
  if (res.getHeader('Vary') === undefined) res.setHeader('Vary', 'Accept-Language');
  else res.vary('Accept-Language');
  (res.locals as { locale?: Locale }).locale = locale;
}

/** A group's name as the page shows it: its name for `locale` when it has one, else its main name. */
export function groupDisplayName(group: Group, locale: Locale): string {
  return group.names?.[locale] ?? group.name;
}

/**
 * The short reference of a link stored with the memberships its unsubscribe leaves: a hash of the
 * token (the token itself must not sit in the database, where it would be a working link).
 */
export function unsubscribeRefOf(req: Request): string {
  // A JWS under /u/ or a compact code under /s/: either names one sent link (the two never collide,
  // the prefix keeps them apart anyway).
  const { token, code } = req.params;
  const link = typeof token === 'string' ? `u:${token}` : typeof code === 'string' ? `s:${code}` : '';
  if (link === '') throw new Error('unsubscribeRefOf: no :token or :code on this route');
  return createHash('sha256').update(link).digest('base64url').slice(0, 22);
}

/** The page frame (title, logo, language) from the branding. */
export function pageFrame(title: string, branding: PageBranding, i18n: Translator): PageFrame {
  return branding.logoUrl ? { title, logoUrl: branding.logoUrl, i18n } : { title, i18n };
}

/** The sender's notice for this contact in the page's locale, when the branding has one (plain text). */
export function brandedNotice(branding: PageBranding, contact: Contact, locale: Locale): string | undefined {
  const { notice } = senderTextsFor(branding, locale);
  return notice === undefined ? undefined : renderSenderText(notice, contact);
}

/** The sender's button text for this contact in the page's locale, when the branding has one. */
export function brandedButton(branding: PageBranding, contact: Contact, locale: Locale): string | undefined {
  const { button } = senderTextsFor(branding, locale);
  return button === undefined ? undefined : renderSenderText(button, contact);
}
