/**
 * @module Admin API routes for mailing groups: `POST /groups`, `GET /groups[?channel=]`,
 * `GET /groups/:id`, `PUT /groups/:id/names` (display names per locale for the pages).
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Store } from '../../store/index.js';
import {
  SubscriptionError,
  channelSchema,
  createGroupSchema,
  groupNamesSchema,
  type Subscriptions,
} from '../../subscriptions/index.js';
import { groupJson } from './adminJson.js';
import { asRequestError, parseAdminInput, pathId } from './parseAdminInput.js';

const listQuerySchema = z.strictObject({ channel: channelSchema.optional() });

/** The group routes (mounted on the admin router). */
export function groupsRoutes(store: Store, subscriptions: Subscriptions): Router {
  const router = Router();

  router.post('/groups', async (req, res) => {
    const input = parseAdminInput(createGroupSchema.strict(), req.body);
    const group = await subscriptions
      .createGroup(input)
      .catch((error: unknown) => Promise.reject(asRequestError(error, {})));
    res.status(201).location(`${req.baseUrl}/groups/${group.id}`).json(groupJson(group));
  });

  router.get('/groups', async (req, res) => {
    const { channel } = parseAdminInput(listQuerySchema, req.query, 'query.');
    const groups = await subscriptions.listGroups(channel ? { channel } : {});
    res.json({ groups: groups.map(groupJson) });
  });

  router.get('/groups/:id', async (req, res) => {
    const id = pathId(req.params.id, 'group');
    const group = await store.getGroup(id);
    if (!group) throw new SubscriptionError('group_not_found', `there is no group ${id}`, { field: 'id' });
    res.json(groupJson(group));
  });

  router.put('/groups/:id/names', async (req, res) => {
    const id = pathId(req.params.id, 'group');
    const names = parseAdminInput(groupNamesSchema, req.body);
    const group = await subscriptions
      .setGroupNames(id, names as Record<string, string>)
      .catch((error: unknown) => Promise.reject(asRequestError(error, {})));
    res.json(groupJson(group));
  });

  return router;
}
