/**
 * @module What the link pages (`/u/:token`, `/m/:token`) share: their dependencies, verifying the
 * token (every failure is the same plain 400), loading the contact (gone → 410) and the page frame
 * with the sender's branding.
 */
import type { Request } from 'express';
import type { KeyRing, LinkClaims } from '../links/index.js';
import type { Contact, Store } from '../store/index.js';
import type { Subscriptions } from '../subscriptions/index.js';
import type { Pages, PageFrame } from './createPages.js';
import { noteContactId } from './requestLog/index.js';
import { HttpError } from './errors.js';
import type { PageBranding } from './pageBranding.js';
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
}

/** The page a token was made for: `/u/` for unsubscribe actions, `/m/` for the manager. */
export type LinkPage = 'u' | 'm';

/**
 * Verifies the `:token` of a request for `page`.
 * @throws HttpError `invalid_link` (400) for any bad token — malformed, tampered, foreign or
 * retired key, expired — and for a token made for the other page. The reason stays internal.
 */
export function verifiedClaims(req: Request, deps: LinkPageDeps, page: LinkPage): LinkClaims {
  const token = req.params.token;
  const result = typeof token === 'string' ? deps.keyRing.verifyLink(token, deps.nowSeconds()) : undefined;
  if (!result?.ok) {
    throw new HttpError('invalid_link', `the link is not valid (${result?.reason ?? 'malformed'})`, {
      status: 400,
    });
  }
  if ((result.claims.action === 'manage') !== (page === 'm')) {
    throw new HttpError('invalid_link', 'the link is not valid (made for the other page)', { status: 400 });
  }
  if (req.res) noteContactId(req.res, result.claims.contactId);
  return result.claims;
}

/** The contact a link names. @throws HttpError `gone` (410) when it no longer exists. */
export async function linkedContact(deps: LinkPageDeps, claims: LinkClaims): Promise<Contact> {
  const contact = await deps.store.getContact(claims.contactId);
  if (!contact) throw new HttpError('gone', 'the contact of this link no longer exists', { status: 410 });
  return contact;
}

/** "email" / "SMS", as the pages say it. */
export function channelLabel(channel: LinkClaims['channel']): string {
  return channel === 'sms' ? 'SMS' : 'email';
}

/** The page frame (title, logo) from the branding. */
export function pageFrame(title: string, branding: PageBranding): PageFrame {
  return branding.logoUrl ? { title, logoUrl: branding.logoUrl } : { title };
}

/** The sender's notice for this contact, when the branding has one (plain text). */
export function brandedNotice(branding: PageBranding, contact: Contact): string | undefined {
  return branding.noticeText === undefined ? undefined : renderSenderText(branding.noticeText, contact);
}
