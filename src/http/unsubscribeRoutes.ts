/**
 * @module `/u/:token`: the confirm page (GET, never changes state: link scanners and prefetchers
 * send GETs), the unsubscribe itself (POST from that page: result page, or 303 to the sender's page
 * for `UnsubscribeRedirect` links) and RFC 8058 one-click (POST `List-Unsubscribe=One-Click`:
 * 200, tiny text body, no redirect, no cookie, no confirmation, no undo).
 *
 * The done page offers "Unsubscribed by mistake? Re-subscribe": a POST of `undo=1` to the same URL
 * re-subscribes exactly the groups this link's unsubscribe left, for `undoWindowDays` (the rows carry
 * a hash of the link, see `unsubscribeRefOf`). With the `askReason` setting it also asks why
 * (`reason_form=1`, `reason`, `reason_text`); the answer is stored with those memberships only.
 *
 * With confirmation switched off (`confirm: false` or the branding's `confirm: false`) a GET acts
 * at once, as the seed's platform allows. The risk: mail security scanners and link prefetchers
 * follow links in incoming mail, so recipients may be unsubscribed without clicking. HEAD never acts.
 */
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { negotiateLocale, type Translator } from '../i18n/index.js';
import type { LinkClaims } from '../links/index.js';
import type { Contact, Group } from '../store/index.js';
import { maxReasonLength, undoWindowDays, unsubscribeReasonCodes } from '../subscriptions/index.js';
import { methodNotAllowed } from './errors.js';
import {
  brandedButton,
  brandedNotice,
  groupDisplayName,
  linkedContact,
  pageFrame,
  pageLanguage,
  setLanguageHeaders,
  unsubscribeRefOf,
  verifiedClaims,
  type LinkPageDeps,
} from './linkPageContext.js';
import { maskAddress } from './maskAddress.js';
import { isOneClick, parseFormBody, type FormFields } from './parseFormBody.js';
import type { PageBranding } from './pageBranding.js';
import { contentSecurityPolicy, cspOrigin, sendHtml, setTokenPageHeaders } from './securityHeaders.js';

/** The groups a link leaves: every group of its channel, or the ones it names. */
function groupIdsOf(claims: LinkClaims): number[] | 'all' {
  return claims.action === 'unsubscribe' ? 'all' : claims.groupIds;
}

/**
 * Answers a one-click POST: done, 200, a few words of text in the link's language. It never offers
 * an undo: mailbox providers only look at the status, and the recipient sees nothing of it.
 */
export async function answerOneClick(
  deps: LinkPageDeps,
  claims: LinkClaims,
  req: Request,
  res: Response,
  groupIds: number[] | 'all' = groupIdsOf(claims),
): Promise<void> {
  await deps.subscriptions.unsubscribe({
    contactId: claims.contactId,
    channel: claims.channel,
    groupIds,
    source: 'one-click',
  });
  const { locale } = negotiateLocale({
    linkLocale: claims.locale,
    acceptLanguage: req.get('accept-language'),
    defaultLocale: (await deps.branding()).defaultLocale,
  });
  setTokenPageHeaders(res);
  setLanguageHeaders(res, locale);
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(`${deps.translators[locale].t('oneClick.body')}\n`);
}

/** Everything a page of this route renders with. */
interface PageContext {
  claims: LinkClaims;
  contact: Contact;
  branding: PageBranding;
  i18n: Translator;
}

async function loadContext(
  deps: LinkPageDeps,
  req: Request,
  res: Response,
  claims: LinkClaims,
): Promise<PageContext> {
  const branding = await deps.branding();
  const i18n = pageLanguage(req, res, deps, branding, claims);
  const contact = await linkedContact(deps, claims);
  return { claims, contact, branding, i18n };
}

/** The done page for the groups `left` (empty: nothing was left to leave). */
function sendDone(
  deps: LinkPageDeps,
  res: Response,
  { claims, contact, branding, i18n }: PageContext,
  left: Group[],
  options: { reasonThanks?: boolean } = {},
): void {
  const somethingLeft = left.length > 0;
  setTokenPageHeaders(res);
  sendHtml(
    res,
    deps.pages.renderBytes(
      'done',
      pageFrame(i18n.t(somethingLeft ? 'done.title' : 'done.titleAlready'), branding, i18n),
      {
        address: maskAddress(contact, claims.channel),
        allGroups: claims.action === 'unsubscribe',
        channel: claims.channel,
        left: left.map((group) => groupDisplayName(group, i18n.locale)),
        groupCount: claims.groupIds.length,
        ...(somethingLeft ? { undo: { days: undoWindowDays } } : {}),
        ...(somethingLeft && branding.askReason && !options.reasonThanks
          ? { askReason: { max: maxReasonLength } }
          : {}),
        ...(options.reasonThanks ? { reasonThanks: true } : {}),
      },
    ),
  );
}

/** Unsubscribes as the link says; then the result page, or the 303 to the sender's page for redirect links. */
async function actAndAnswer(
  deps: LinkPageDeps,
  req: Request,
  res: Response,
  context: PageContext,
): Promise<void> {
  const { claims } = context;
  const left = await deps.subscriptions.unsubscribe({
    contactId: claims.contactId,
    channel: claims.channel,
    groupIds: groupIdsOf(claims),
    source: 'link',
    unsubscribeRef: unsubscribeRefOf(req),
  });
  setTokenPageHeaders(res);
  if (claims.action === 'unsubscribe_redirect' && claims.redirectUrl) {
    res.redirect(303, claims.redirectUrl);
    return;
  }
  sendDone(deps, res, context, left);
}

/** `undo=1`: re-subscribes what this link left, or says plainly why not (409, nothing changed). */
async function undo(deps: LinkPageDeps, req: Request, res: Response, context: PageContext): Promise<void> {
  const { claims, contact, branding, i18n } = context;
  const outcome = await deps.subscriptions.undoLinkUnsubscribe({
    contactId: contact.id,
    unsubscribeRef: unsubscribeRefOf(req),
  });
  setTokenPageHeaders(res);
  if (outcome.status === 'undone') {
    sendHtml(
      res,
      deps.pages.renderBytes('undone', pageFrame(i18n.t('undo.title'), branding, i18n), {
        address: maskAddress(contact, claims.channel),
        joined: outcome.groups.map((group) => groupDisplayName(group, i18n.locale)),
      }),
    );
    return;
  }
  const title = i18n.t('undo.unavailableTitle');
  const message =
    outcome.status === 'expired' ? i18n.t('undo.expired', { days: outcome.days }) : i18n.t('undo.nothing');
  res.statusCode = 409;
  sendHtml(res, deps.pages.renderBytes('error', pageFrame(title, branding, i18n), { title, message }));
}

/** `reason_form=1`: stores why, with what this link left; then the done page again, thanking. */
async function recordReason(
  deps: LinkPageDeps,
  req: Request,
  res: Response,
  context: PageContext,
  fields: FormFields,
): Promise<void> {
  const ref = unsubscribeRefOf(req);
  const text = (fields.get('reason_text')?.[0] ?? '').trim();
  const picked = fields.get('reason')?.[0];
  // Text without a ticked choice is an "other" reason; nothing at all is no answer.
  const code = picked ?? (text === '' ? undefined : 'other');
  const known = code !== undefined && (unsubscribeReasonCodes as readonly string[]).includes(code);
  if (known) {
    await deps.subscriptions.recordUnsubscribeReason({
      contactId: context.contact.id,
      unsubscribeRef: ref,
      reason: code === 'other' && text !== '' ? { code, text: text.slice(0, maxReasonLength) } : { code },
    });
  }
  const still = await deps.store.getLinkUnsubscribes(context.contact.id, ref);
  sendDone(
    deps,
    res,
    context,
    still.map((membership) => membership.group),
    { reasonThanks: known },
  );
}

/**
 * The confirm page: what will happen, one button POSTing to this same URL. A link that leaves every
 * group names none, so its page is sent at once (no store read, no promise to wait for).
 */
function showConfirm(deps: LinkPageDeps, res: Response, context: PageContext): Promise<void> | void {
  if (context.claims.action === 'unsubscribe') return sendConfirm(deps, res, context, []);
  return deps.store
    .getGroups(context.claims.groupIds)
    .then((groups) => sendConfirm(deps, res, context, groups));
}

/** Sends the confirm page for the groups the link names (none: all of the channel). */
function sendConfirm(deps: LinkPageDeps, res: Response, context: PageContext, groups: Group[]): void {
  const { claims, contact, branding, i18n } = context;
  const redirectOrigin = claims.redirectUrl ? cspOrigin(claims.redirectUrl) : undefined;
  setTokenPageHeaders(res);
  // The POST of this page answers 303 to the sender's page: the form must be allowed to go there.
  if (redirectOrigin) res.setHeader('Content-Security-Policy', contentSecurityPolicy([redirectOrigin]));
  const notice = brandedNotice(branding, contact, i18n.locale);
  sendHtml(
    res,
    deps.pages.renderBytes('confirm', pageFrame(i18n.t('confirm.title'), branding, i18n), {
      address: maskAddress(contact, claims.channel),
      allGroups: claims.action === 'unsubscribe',
      channel: claims.channel,
      groups: groups.map((group) => groupDisplayName(group, i18n.locale)),
      buttonText: brandedButton(branding, contact, i18n.locale) ?? i18n.t('confirm.button'),
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
      const context = await loadContext(deps, req, res, claims);
      // HEAD never acts, even without confirmation: it is what prefetchers send first.
      if (req.method === 'GET' && !(context.branding.confirm ?? deps.confirm)) {
        return actAndAnswer(deps, req, res, context);
      }
      return showConfirm(deps, res, context);
    })
    .post(formBody, async (req: Request, res: Response, next: NextFunction) => {
      const claims = verifiedClaims(req, deps, 'u');
      if (claims.action === 'manage') return next('route');
      const fields = parseFormBody(req.get('content-type'), req.body as Buffer | undefined);
      if (isOneClick(fields)) return answerOneClick(deps, claims, req, res);
      const context = await loadContext(deps, req, res, claims);
      if (fields.has('undo')) return undo(deps, req, res, context);
      if (fields.has('reason_form')) return recordReason(deps, req, res, context, fields);
      return actAndAnswer(deps, req, res, context);
    })
    .all(methodNotAllowed(['GET', 'HEAD', 'POST']));
}
