/**
 * @module `/u/:token`: the confirm page (GET, never changes state: link scanners and prefetchers
 * send GETs), the unsubscribe itself (POST from that page: result page, or 303 to the sender's page
 * for `UnsubscribeRedirect` links) and RFC 8058 one-click (POST `List-Unsubscribe=One-Click`:
 * 200, tiny text body, no redirect, no cookie, no confirmation).
 *
 * With confirmation switched off (`confirm: false` or the branding's `confirm: false`) a GET acts
 * at once, as the seed's platform allows. The risk: mail security scanners and link prefetchers
 * follow links in incoming mail, so recipients may be unsubscribed without clicking. HEAD never acts.
 */
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import type { LinkClaims } from '../links/index.js';
import type { Contact, Group } from '../store/index.js';
import { methodNotAllowed } from './errors.js';
import {
  brandedNotice,
  channelLabel,
  linkedContact,
  pageFrame,
  verifiedClaims,
  type LinkPageDeps,
} from './linkPageContext.js';
import { maskAddress } from './maskAddress.js';
import { isOneClick, parseFormBody } from './parseFormBody.js';
import type { PageBranding } from './pageBranding.js';
import { renderSenderText } from './renderSenderText.js';
import { contentSecurityPolicy, cspOrigin, sendHtml, setTokenPageHeaders } from './securityHeaders.js';

/** The whole answer to a one-click POST: mailbox providers only look at the status. */
const oneClickBody = 'Unsubscribed.\n';

/** The groups a link leaves: every group of its channel, or the ones it names. */
function groupIdsOf(claims: LinkClaims): number[] | 'all' {
  return claims.action === 'unsubscribe' ? 'all' : claims.groupIds;
}

/** Unsubscribes as the link says; returns the groups actually left (empty on a repeat). */
function unsubscribe(deps: LinkPageDeps, claims: LinkClaims, source: string): Promise<Group[]> {
  return deps.subscriptions.unsubscribe({
    contactId: claims.contactId,
    channel: claims.channel,
    groupIds: groupIdsOf(claims),
    source,
  });
}

/** Answers a one-click POST: done, 200, a few bytes of text. */
export async function answerOneClick(
  deps: LinkPageDeps,
  claims: LinkClaims,
  res: Response,
  groupIds: number[] | 'all' = groupIdsOf(claims),
): Promise<void> {
  await deps.subscriptions.unsubscribe({
    contactId: claims.contactId,
    channel: claims.channel,
    groupIds,
    source: 'one-click',
  });
  setTokenPageHeaders(res);
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(oneClickBody);
}

/** The result page, or the 303 to the sender's page for redirect links. */
async function actAndAnswer(
  deps: LinkPageDeps,
  claims: LinkClaims,
  res: Response,
  loaded?: { contact: Contact; branding: PageBranding },
): Promise<void> {
  const contact = loaded?.contact ?? (await linkedContact(deps, claims));
  const left = await unsubscribe(deps, claims, 'link');
  setTokenPageHeaders(res);
  if (claims.action === 'unsubscribe_redirect' && claims.redirectUrl) {
    res.redirect(303, claims.redirectUrl);
    return;
  }
  const branding = loaded?.branding ?? (await deps.branding());
  sendHtml(
    res,
    deps.pages.render('done', pageFrame('Unsubscribed', branding), {
      address: maskAddress(contact, claims.channel),
      allGroups: claims.action === 'unsubscribe',
      channelLabel: channelLabel(claims.channel),
      left: left.map((group) => group.name),
    }),
  );
}

/** The confirm page: what will happen, one button POSTing to this same URL. */
async function showConfirm(
  deps: LinkPageDeps,
  claims: LinkClaims,
  res: Response,
  contact: Contact,
  branding: PageBranding,
): Promise<void> {
  const groups = claims.action === 'unsubscribe' ? [] : await deps.store.getGroups(claims.groupIds);
  const redirectOrigin = claims.redirectUrl ? cspOrigin(claims.redirectUrl) : undefined;
  setTokenPageHeaders(res);
  // The POST of this page answers 303 to the sender's page: the form must be allowed to go there.
  if (redirectOrigin) res.setHeader('Content-Security-Policy', contentSecurityPolicy([redirectOrigin]));
  const notice = brandedNotice(branding, contact);
  sendHtml(
    res,
    deps.pages.render('confirm', pageFrame('Unsubscribe', branding), {
      address: maskAddress(contact, claims.channel),
      allGroups: claims.action === 'unsubscribe',
      channelLabel: channelLabel(claims.channel),
      groups: groups.map((group) => group.name),
      buttonText:
        branding.buttonText === undefined ? 'Unsubscribe' : renderSenderText(branding.buttonText, contact),
      ...(notice === undefined ? {} : { notice }),
      ...(redirectOrigin ? { redirectHost: new URL(redirectOrigin).host } : {}),
    }),
  );
}

/**
 * Registers `/u/:token` and the compact `/s/:code` on the app (a compact manager code goes on to
 * the manager's routes); `formBody` reads (and caps) the POST body.
 */
export function registerUnsubscribeRoutes(app: Express, deps: LinkPageDeps, formBody: RequestHandler): void {
  app
    .route(['/u/:token', '/s/:code'])
    .get(async (req: Request, res: Response, next: NextFunction) => {
      const claims = verifiedClaims(req, deps, 'u');
      if (claims.action === 'manage') return next('route');
      const [contact, branding] = [await linkedContact(deps, claims), await deps.branding()];
      // HEAD never acts, even without confirmation: it is what prefetchers send first.
      if (req.method === 'GET' && !(branding.confirm ?? deps.confirm)) {
        return actAndAnswer(deps, claims, res, { contact, branding });
      }
      return showConfirm(deps, claims, res, contact, branding);
    })
    .post(formBody, async (req: Request, res: Response, next: NextFunction) => {
      const claims = verifiedClaims(req, deps, 'u');
      if (claims.action === 'manage') return next('route');
      const fields = parseFormBody(req.get('content-type'), req.body as Buffer | undefined);
      if (isOneClick(fields)) return answerOneClick(deps, claims, res);
      return actAndAnswer(deps, claims, res);
    })
    .all(methodNotAllowed(['GET', 'HEAD', 'POST']));
}
