/**
 * @module Contacts: find one by e-mail (or browse them by id), see its memberships per channel and
 * change them. Changes go through the subscription commands — join the ticked groups, then apply
 * the ticked set — so every changed group emits its `mailing group subscribe`/`unsubscribe` event,
 * exactly as the admin API's `PUT /contacts/:id/groups` does. The contact page also offers the
 * contact's own signed links, to see the public pages as this recipient does, and erasure behind a
 * typed confirmation (the contact's e-mail address).
 */
import { Router, type Response } from 'express';
import { UnsubError } from '../../errors/index.js';
import { sourceLocale, type Translator } from '../../i18n/index.js';
import { linkUrl } from '../../links/index.js';
import { channels, type Channel, type Contact, type UnsubscribeReason } from '../../store/index.js';
import { emailSchema } from '../../subscriptions/index.js';
import { methodNotAllowed } from '../errors.js';
import {
  field,
  fieldList,
  parseId,
  queryParam,
  redirectTo,
  requireForm,
  requirePage,
  sendNotFound,
  sendPage,
  i18nOf,
  say,
  type ConsoleContext,
} from './consoleContext.js';
import { formatTime } from './consoleViews.js';

/** Contacts per page of the list. */
export const contactsPageSize = 50;

/** Where console changes come from, as recorded on memberships. */
export const consoleSource = 'console';

/** The contact routes. */
export function contactsRoutes(context: ConsoleContext): Router {
  const router = Router();
  const { store, subscriptions } = context;

  router.get('/contacts', requirePage(context), async (req, res) => {
    const email = queryParam(req, 'email').trim();
    let notFound: string | undefined;
    let invalid: string | undefined;
    if (email !== '') {
      const parsed = emailSchema.safeParse(email);
      if (!parsed.success) {
        const i18n = i18nOf(context, res);
        // English shows the schema's own words; other languages one sentence of their own.
        invalid =
          i18n.locale === sourceLocale && parsed.error.issues[0]
            ? `"${email}" ${parsed.error.issues[0].message}`
            : i18n.t('console.contacts.invalid', { email });
      } else {
        const contact = await store.findContactByEmail(parsed.data);
        if (contact) {
          redirectTo(context, res, `/contacts/${contact.id}`);
          return;
        }
        notFound = parsed.data;
      }
    }
    const afterId = parseId(queryParam(req, 'after')) ?? 0;
    const contacts = await store.listContacts({ afterId, limit: contactsPageSize + 1 });
    const shown = contacts.slice(0, contactsPageSize);
    sendPage(
      context,
      res,
      'contacts',
      { title: 'console.contacts.title', section: 'contacts' },
      {
        email,
        notFound,
        invalid,
        contacts: shown.map((contact) => ({ ...contact, name: nameOf(contact) })),
        paged: afterId > 0,
        nextPage: contacts.length > contactsPageSize ? `/contacts?after=${shown.at(-1)?.id ?? 0}` : undefined,
        erased: erasedCounts(queryParam(req, 'erased')),
      },
      invalid ? 422 : notFound ? 404 : 200,
    );
  });

  const renderContact = async (
    res: Response,
    contact: Contact,
    extra: {
      saved?: { channel: string; joined: number; left: number };
      error?: string;
      eraseError?: string;
    } = {},
    status = 200,
  ) => {
    const memberships = await store.getMemberships(contact.id);
    const groups = await store.listGroups({});
    const { t } = i18nOf(context, res);
    const sections = channels.map((channel) => ({
      channel,
      heading: t(`console.contact.heading.${channel}`),
      legend: t(`console.contact.legend.${channel}`),
      save: t(`console.contact.save.${channel}`),
      none: t(`console.contact.none.${channel}`),
      groups: groups
        .filter((group) => group.channel === channel)
        .map((group) => {
          const membership = memberships.find((m) => m.group.id === group.id);
          return {
            ...group,
            checked: membership?.state === 'subscribed',
            state: t(`console.contact.state.${membership?.state ?? 'never'}`),
            changed: membership
              ? t('console.contact.changed', {
                  time: formatTime(membership.changedAt),
                  source: membership.source,
                })
              : '',
            reason: membership?.reason ? reasonText(t, membership.reason) : '',
          };
        }),
      saved: extra.saved?.channel === channel ? extra.saved : undefined,
    }));
    const link = (action: 'unsubscribe' | 'manage', channel: Channel) => {
      const claims = { action, contactId: contact.id, channel, groupIds: [] };
      return linkUrl(context.baseUrl, claims, context.keyRing.signLink(claims));
    };
    sendPage(
      context,
      res,
      'contact',
      { title: ['console.contact.title', { email: contact.email }], section: 'contacts' },
      {
        contact: { ...contact, name: nameOf(contact), extraJson: JSON.stringify(contact.extra, null, 2) },
        hasExtra: Object.keys(contact.extra).length > 0,
        sections,
        error: extra.error,
        eraseError: extra.eraseError,
        links: {
          manage: link('manage', 'email'),
          unsubscribe: link('unsubscribe', 'email'),
          manageSms: contact.phone ? link('manage', 'sms') : undefined,
        },
      },
      status,
    );
  };

  const notFound = (res: Response, id: unknown) => sendNotFound(context, res, 'contacts', 'contact', id);

  router.get('/contacts/:id', requirePage(context), async (req, res) => {
    const id = parseId(req.params.id);
    const contact = id === undefined ? undefined : await store.getContact(id);
    if (!contact) return notFound(res, req.params.id);
    const channel = queryParam(req, 'saved');
    const saved = (channels as readonly string[]).includes(channel)
      ? {
          channel,
          joined: Number(parseId(queryParam(req, 'joined')) ?? 0),
          left: Number(parseId(queryParam(req, 'left')) ?? 0),
        }
      : undefined;
    await renderContact(res, contact, saved ? { saved } : {});
  });

  router
    .route('/contacts/:id/memberships')
    .post(...requireForm(context, (req) => `/contacts/${parseId(req.params.id) ?? ''}`), async (req, res) => {
      const id = parseId(req.params.id);
      const contact = id === undefined ? undefined : await store.getContact(id);
      if (!contact || id === undefined) return notFound(res, req.params.id);
      const channel = channels.find((value) => value === field(req, 'channel'));
      const ticked = fieldList(req, 'group').map((value) => parseId(value));
      if (!channel || ticked.some((value) => value === undefined)) {
        await renderContact(res, contact, { error: say(context, res, 'console.contact.badForm') }, 400);
        return;
      }
      const subscribed = ticked as number[];
      try {
        // `setSubscriptions` only accepts groups the contact already belongs to (it serves the
        // manager page), so join the ticked groups first, then apply the whole set.
        const joined = await subscriptions.subscribe({
          contactId: id,
          channel,
          groupIds: subscribed,
          source: consoleSource,
        });
        const set = await subscriptions.setSubscriptions({
          contactId: id,
          channel,
          subscribedGroupIds: subscribed,
          source: consoleSource,
        });
        redirectTo(
          context,
          res,
          `/contacts/${id}?saved=${channel}&joined=${joined.length + set.joined.length}&left=${set.left.length}`,
        );
      } catch (error) {
        if (!(error instanceof UnsubError) || error.field === undefined) throw error;
        const english = i18nOf(context, res).locale === sourceLocale;
        const message = english ? error.message : say(context, res, 'console.contact.badForm');
        await renderContact(res, contact, { error: message }, 422);
      }
    })
    .all(methodNotAllowed(['POST']));

  router
    .route('/contacts/:id/erase')
    .post(...requireForm(context, (req) => `/contacts/${parseId(req.params.id) ?? ''}`), async (req, res) => {
      const id = parseId(req.params.id);
      const contact = id === undefined ? undefined : await store.getContact(id);
      if (!contact || id === undefined) return notFound(res, req.params.id);
      // Typed confirmation: the address itself, so a slip of the mouse erases nobody.
      if (field(req, 'confirm').trim().toLowerCase() !== contact.email.trim().toLowerCase()) {
        await renderContact(
          res,
          contact,
          { eraseError: say(context, res, 'console.contact.eraseMismatch', { email: contact.email }) },
          422,
        );
        return;
      }
      const report = await subscriptions.eraseContact(id);
      const counts = [report.events, report.deliveries, report.cancelled, report.attempts].join('-');
      redirectTo(context, res, `/contacts?erased=${counts}`);
    })
    .all(methodNotAllowed(['POST']));

  return router;
}

/** The counts an erasure redirect carries (`events-deliveries-cancelled-attempts`), for the notice. */
function erasedCounts(text: string) {
  const match = /^(\d+)-(\d+)-(\d+)-(\d+)$/.exec(text);
  if (!match) return undefined;
  const [events, deliveries, cancelled, attempts] = match.slice(1).map(Number);
  return { events, deliveries, cancelled, attempts };
}

/** Why a contact left, as the console shows it: the choice, and its words for "other". */
function reasonText(t: Translator['t'], reason: UnsubscribeReason): string {
  const label = t(`console.contact.reason.${reason.code}`);
  return reason.text === undefined
    ? label
    : t('console.contact.reasonWithText', { label, text: reason.text });
}

/** "Ann Smith", or '' without names. */

function nameOf(contact: Contact): string {
  return [contact.firstName, contact.lastName].filter(Boolean).join(' ');
}
