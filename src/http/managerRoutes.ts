/**
 * @module `/m/:token`: the subscription manager. GET lists the contact's groups of the link's channel
 * (every group it has a membership in) as checkboxes; POST applies the ticked set — joining ticked
 * groups, leaving the others — and shows what changed. Posted group ids are checked against that
 * list, so a forged form cannot touch other groups or channels. An RFC 8058 one-click POST (a
 * List-Unsubscribe header may carry a manager link) leaves every group of the channel.
 */
import type { Express, Request, RequestHandler, Response } from 'express';
import type { LinkClaims } from '../links/index.js';
import type { Contact, Membership } from '../store/index.js';
import type { ManagerView } from './createPages.js';
import { HttpError, methodNotAllowed } from './errors.js';
import type { Translator } from '../i18n/index.js';
import {
  brandedNotice,
  groupDisplayName,
  linkedContact,
  pageFrame,
  pageLanguage,
  verifiedClaims,
  type LinkPageDeps,
} from './linkPageContext.js';
import type { PageBranding } from './pageBranding.js';
import { maskAddress } from './maskAddress.js';
import { isOneClick, parseFormBody, type FormFields } from './parseFormBody.js';
import { sendHtml, setTokenPageHeaders } from './securityHeaders.js';
import { answerOneClick } from './unsubscribeRoutes.js';

function badForm(message: string): HttpError {
  return new HttpError('bad_form', message, { status: 400, field: 'group' });
}

/**
 * The ticked group ids of a manager form, each one of `memberships`.
 * @throws HttpError `bad_form` for a form not sent by the manager page or naming a foreign group.
 */
export function tickedGroupIds(fields: FormFields, memberships: readonly Membership[]): number[] {
  if (!fields.has('save')) throw badForm('the form was not sent by the subscription manager');
  const own = new Set(memberships.map((membership) => membership.group.id));
  const ticked = new Set<number>();
  for (const value of fields.get('group') ?? []) {
    const id = /^[1-9][0-9]{0,14}$/.test(value) ? Number(value) : NaN;
    if (!own.has(id)) throw badForm('group must be one of the groups listed on the page');
    ticked.add(id);
  }
  return [...ticked];
}

function renderManager(
  deps: LinkPageDeps,
  claims: LinkClaims,
  res: Response,
  page: { contact: Contact; branding: PageBranding; i18n: Translator },
  memberships: readonly Membership[],
  saved?: ManagerView['saved'],
): void {
  const { contact, branding, i18n } = page;
  const notice = brandedNotice(branding, contact, i18n.locale);
  setTokenPageHeaders(res);
  sendHtml(
    res,
    deps.pages.renderBytes('manager', pageFrame(i18n.t('manager.title'), branding, i18n), {
      address: maskAddress(contact, claims.channel),
      channel: claims.channel,
      groups: memberships.map(({ group, state }) => ({
        id: group.id,
        name: groupDisplayName(group, i18n.locale),
        description: group.description,
        checked: state === 'subscribed',
      })),
      ...(notice === undefined ? {} : { notice }),
      ...(saved ? { saved } : {}),
    }),
  );
}

/** Registers `/m/:token` and compact `/s/:code` manager links; `formBody` reads (and caps) the POST body. */
export function registerManagerRoutes(app: Express, deps: LinkPageDeps, formBody: RequestHandler): void {
  app
    .route(['/m/:token', '/s/:code'])
    .get(async (req: Request, res: Response) => {
      const claims = verifiedClaims(req, deps, 'm');
      const branding = await deps.branding();
      const i18n = pageLanguage(req, res, deps, branding, claims);
      const contact = await linkedContact(deps, claims);
      const memberships = await deps.store.getMemberships(contact.id, claims.channel);
      return renderManager(deps, claims, res, { contact, branding, i18n }, memberships);
    })
    .post(formBody, async (req: Request, res: Response) => {
      const claims = verifiedClaims(req, deps, 'm');
      const fields = parseFormBody(req.get('content-type'), req.body as Buffer | undefined);
      if (isOneClick(fields)) return answerOneClick(deps, claims, req, res, 'all');
      const branding = await deps.branding();
      const i18n = pageLanguage(req, res, deps, branding, claims);
      const contact = await linkedContact(deps, claims);
      const before = await deps.store.getMemberships(contact.id, claims.channel);
      const subscribedGroupIds = tickedGroupIds(fields, before);
      const { joined, left } = await deps.subscriptions.setSubscriptions({
        contactId: contact.id,
        channel: claims.channel,
        subscribedGroupIds,
        source: 'manager',
      });
      const after = await deps.store.getMemberships(contact.id, claims.channel);
      const names = (groups: typeof joined) => i18n.list(groups.map((g) => groupDisplayName(g, i18n.locale)));
      const saved = {
        joined: names(joined),
        left: names(left),
        changed: joined.length + left.length > 0,
      };
      return renderManager(deps, claims, res, { contact, branding, i18n }, after, saved);
    })
    .all(methodNotAllowed(['GET', 'HEAD', 'POST']));
}
