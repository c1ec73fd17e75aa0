/**
 * @module Admin API routes for contacts and their memberships: create (emits `contact adding`),
 * get (with memberships), look up by e-mail or list, update, delete, and the subscription changes
 * (`PUT /contacts/:id/groups`, `POST /contacts/:id/unsubscribe`, `POST /contacts/:id/subscribe`),
 * which go through the subscription commands so state and events commit together; erasure
 * (`POST /contacts/:id/erase`, and `DELETE /contacts/:id`, which is the same) and the suppression
 * list (`GET /suppressions?email=`).
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Group, Store } from '../../store/index.js';
import {
  SubscriptionError,
  channelSchema,
  contactPatchSchema,
  createContactSchema,
  emailSchema,
  groupIdsSchema,
  phoneSchema,
  subscribeSchema,
  unsubscribeSchema,
  type Subscriptions,
} from '../../subscriptions/index.js';
import { noteContactId } from '../requestLog/index.js';
import { contactJson, groupJson } from './adminJson.js';
import { asRequestError, parseAdminInput, pathId } from './parseAdminInput.js';

/** Where admin API changes come from, as recorded on memberships. */
const source = 'api';

const listQuerySchema = z.strictObject({
  email: emailSchema.optional(),
  afterId: z.coerce.number().int('must be an integer').min(0, 'must not be negative').optional(),
  limit: z.coerce.number().int('must be an integer').min(1, 'must be at least 1').max(500).optional(),
});
const unsubscribeBodySchema = unsubscribeSchema.pick({ channel: true, groupIds: true }).strict();
const subscribeBodySchema = subscribeSchema.pick({ channel: true, groupIds: true }).strict();
const setGroupsBodySchema = z.strictObject({ channel: channelSchema, subscribed: groupIdsSchema });
const suppressionQuerySchema = z
  .strictObject({ email: emailSchema.optional(), phone: phoneSchema.optional() })
  .refine((query) => query.email !== undefined || query.phone !== undefined, {
    message: 'give email (or phone) to look up',
    path: ['email'],
  });

/** The contact routes (mounted on the admin router). */
export function contactsRoutes(store: Store, subscriptions: Subscriptions): Router {
  const router = Router();

  /** The contact of `:id` with its memberships, or 404. */
  const withMemberships = async (id: number) => {
    const contact = await store.getContact(id);
    if (!contact)
      throw new SubscriptionError('contact_not_found', `there is no contact ${id}`, { field: 'id' });
    return contactJson(contact, await store.getMemberships(id));
  };

  /** The result of a membership change: what changed, then the contact's memberships now. */
  const changed = async (id: number, joined: Group[], left: Group[]) => ({
    joined: joined.map(groupJson),
    left: left.map(groupJson),
    memberships: (await withMemberships(id)).memberships,
  });

  /** Runs a subscription command for the contact of `:id`, naming request fields in its errors. */
  const command = async <T>(req: Request, names: Record<string, string>, run: (id: number) => Promise<T>) => {
    const id = pathId(req.params.id as string | undefined, 'contact');
    try {
      return { id, value: await run(id) };
    } catch (error) {
      throw asRequestError(error, { contactId: 'id', ...names });
    }
  };

  // The request log names the contact a route concerns (its id, never its address).
  router.param('id', (_req, res, next, id) => {
    if (/^\d{1,15}$/.test(String(id))) noteContactId(res, Number(id));
    next();
  });

  router.post('/contacts', async (req, res) => {
    const input = parseAdminInput(createContactSchema.strict(), req.body);
    const contact = await subscriptions
      .createContact({ ...input, source: input.source ?? source })
      .catch((error: unknown) => Promise.reject(asRequestError(error, {})));
    res
      .status(201)
      .location(`${req.baseUrl}/contacts/${contact.id}`)
      .json({
        ...contactJson(contact, await store.getMemberships(contact.id)),
        // Never silently re-subscribed: the groups the suppression list kept unsubscribed (only
        // when there are any, so the answer is otherwise the same as GET /contacts/:id).
        ...(contact.suppressed.length > 0 ? { suppressed: contact.suppressed } : {}),
      });
  });

  router.get('/contacts', async (req, res) => {
    const query = parseAdminInput(listQuerySchema, req.query, 'query.');
    if (query.email !== undefined) {
      const contact = await store.findContactByEmail(query.email);
      res.json({ contacts: contact ? [contactJson(contact, await store.getMemberships(contact.id))] : [] });
      return;
    }
    const limit = query.limit ?? 100;
    const contacts = await store.listContacts({ afterId: query.afterId ?? 0, limit });
    const last = contacts.at(-1);
    res.json({
      contacts: contacts.map((contact) => contactJson(contact)),
      nextAfterId: contacts.length === limit && last ? last.id : null,
    });
  });

  router.get('/contacts/:id', async (req, res) => {
    res.json(await withMemberships(pathId(req.params.id, 'contact')));
  });

  router.patch('/contacts/:id', async (req, res) => {
    const patch = parseAdminInput(contactPatchSchema.strict(), req.body);
    const { id } = await command(req, {}, (contactId) => subscriptions.updateContact(contactId, patch));
    res.json(await withMemberships(id));
  });

  // DELETE is erasure: a plain delete would leave the address in every stored event body and
  // attempt, and forget the person's unsubscribes (README, "Decisions").
  const erase = async (req: Request, res: Response) => {
    const { value } = await command(req, {}, (contactId) => subscriptions.eraseContact(contactId));
    res.json({ erased: value });
  };
  router.post('/contacts/:id/erase', erase);
  router.delete('/contacts/:id', erase);

  router.get('/suppressions', async (req, res) => {
    const query = parseAdminInput(suppressionQuerySchema, req.query, 'query.');
    // Looked up by keyed hash; the address is neither stored nor logged.
    const entries = await subscriptions.checkSuppression(query);
    res.set('Cache-Control', 'no-store').json({ suppressed: entries.length > 0, entries });
  });

  router.put('/contacts/:id/groups', async (req, res) => {
    const { channel, subscribed } = parseAdminInput(setGroupsBodySchema, req.body);
    // The PUT body is the whole wanted set, which may name groups the contact never belonged to:
    // `allowJoin` joins those too, in the same transaction as the leaves (one event per change).
    const { id, value } = await command(
      req,
      { groupIds: 'subscribed', subscribedGroupIds: 'subscribed' },
      (contactId) =>
        subscriptions.setSubscriptions({
          contactId,
          channel,
          subscribedGroupIds: subscribed,
          source,
          allowJoin: true,
        }),
    );
    res.json(await changed(id, value.joined, value.left));
  });

  router.post('/contacts/:id/unsubscribe', async (req, res) => {
    const { channel, groupIds } = parseAdminInput(unsubscribeBodySchema, req.body);
    const { id, value } = await command(req, {}, (contactId) =>
      subscriptions.unsubscribe({ contactId, channel, groupIds, source }),
    );
    res.json(await changed(id, [], value));
  });

  router.post('/contacts/:id/subscribe', async (req, res) => {
    const { channel, groupIds } = parseAdminInput(subscribeBodySchema, req.body);
    const { id, value } = await command(req, {}, (contactId) =>
      subscriptions.subscribe({ contactId, channel, groupIds, source }),
    );
    res.json(await changed(id, value, []));
  });

  return router;
}
