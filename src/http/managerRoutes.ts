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
import {
  brandedNotice,
  channelLabel,
  linkedContact,
  pageFrame,
  verifiedClaims,
  type LinkPageDeps,
} from './linkPageContext.js';
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

async function renderManager(
  deps: LinkPageDeps,
  claims: LinkClaims,
  res: Response,
  contact: Contact,
  memberships: readonly Membership[],
  saved?: ManagerView['saved'],
): Promise<void> {
  const branding = await deps.branding();
  const notice = brandedNotice(branding, contact);
  setTokenPageHeaders(res);
  sendHtml(
    res,
    deps.pages.render('manager', pageFrame('Your subscriptions', branding), {
      address: maskAddress(contact, claims.channel),
      channelLabel: channelLabel(claims.channel),
      groups: memberships.map(({ group, state }) => ({
        id: group.id,
        name: group.name,
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
      const contact = await linkedContact(deps, claims);
      const memberships = await deps.store.getMemberships(contact.id, claims.channel);
      return renderManager(deps, claims, res, contact, memberships);
    })
    .post(formBody, async (req: Request, res: Response) => {
      const claims = verifiedClaims(req, deps, 'm');
      const fields = parseFormBody(req.get('content-type'), req.body as Buffer | undefined);
      if (isOneClick(fields)) return answerOneClick(deps, claims, res, 'all');
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
      const saved = {
        joined: joined.map((group) => group.name),
        left: left.map((group) => group.name),
        changed: joined.length + left.length > 0,
      };
      return renderManager(deps, claims, res, contact, after, saved);
    })
    .all(methodNotAllowed(['GET', 'HEAD', 'POST']));
}
