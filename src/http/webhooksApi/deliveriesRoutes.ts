/**
 * @module Delivery log routes (under `/api`): list deliveries (newest first, keyset cursor), show one
 * with its attempts, retry one, replay an endpoint's failed deliveries in a time window, and enable
 * (or disable) an endpoint.
 */
import { Router } from 'express';
import { z } from 'zod';
import { isEventType, normalizeEventName } from '../../events/index.js';
import {
  deliveryStatuses,
  type DeliveryStatus,
  type Store,
  type WebhookEndpoint,
} from '../../store/index.js';
import { HttpError } from '../errors.js';
import { invalidInput, parseAdminInput } from '../admin/parseAdminInput.js';
import { isoTimeSchema, notFound, pathId } from './apiInput.js';
import { deliveryDetailJson, deliveryJson, endpointJson } from './deliveryJson.js';

/** Default and largest page size of `GET /deliveries`. */
export const deliveriesPage = { default: 50, max: 500 } as const;

const idText = z
  .string()
  .regex(/^[1-9][0-9]{0,14}$/, 'must be a positive integer')
  .transform(Number);

/** `GET /deliveries` query: `event`, `endpoint`, `status`, `before` (cursor), `limit`. */
export const listDeliveriesQuerySchema = z.strictObject({
  event: z.string().optional(),
  endpoint: idText.optional(),
  status: z.enum(deliveryStatuses as [DeliveryStatus, ...DeliveryStatus[]]).optional(),
  before: idText.optional(),
  limit: idText.refine((n) => n <= deliveriesPage.max, `must be at most ${deliveriesPage.max}`).optional(),
});

/** `POST /endpoints/:id/replay`: the failed deliveries created in [from, to). */
export const replaySchema = z.strictObject({ from: isoTimeSchema, to: isoTimeSchema });

/** Options of {@link deliveriesRoutes}. */
export interface DeliveriesRoutesOptions {
  store: Store;
  now: () => number;
  /** Told when deliveries became due (retry, replay, enable), so the dispatcher need not wait for its poll. */
  wake?: () => void;
}

/** The delivery log routes. */
export function deliveriesRoutes({ store, now, wake }: DeliveriesRoutesOptions): Router {
  const router = Router();

  /** A live endpoint, else 404 (a removed one has no URL to deliver to). */
  const liveEndpoint = async (id: number): Promise<WebhookEndpoint> => {
    const endpoint = await store.getEndpoint(id);
    if (!endpoint) throw notFound('endpoint', id);
    if (endpoint.removedAt !== null) {
      throw new HttpError('endpoint_not_found', `webhook endpoint ${id} was removed from its slot`, {
        status: 404,
        field: 'id',
      });
    }
    return endpoint;
  };

  router.get('/deliveries', async (req, res) => {
    const query = parseAdminInput(listDeliveriesQuerySchema, req.query, 'query.');
    let eventType: string | undefined;
    if (query.event !== undefined) {
      eventType = normalizeEventName(query.event);
      if (!isEventType(eventType)) {
        throw new HttpError('unknown_event', `query.event: "${query.event}" is not an event type`, {
          status: 422,
          field: 'query.event',
        });
      }
    }
    const limit = query.limit ?? deliveriesPage.default;
    const deliveries = await store.listDeliveries({
      ...(eventType === undefined ? {} : { eventType }),
      ...(query.endpoint === undefined ? {} : { endpointId: query.endpoint }),
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.before === undefined ? {} : { beforeId: query.before }),
      limit,
    });
    const last = deliveries.at(-1);
    // A full page may have more behind it: its last id is the next page's `before`.
    res.json({
      deliveries: deliveries.map(deliveryJson),
      next: deliveries.length === limit && last ? last.id : null,
    });
  });

  router.get('/deliveries/:id', async (req, res) => {
    const id = pathId(req.params.id, 'delivery');
    const delivery = await store.getDelivery(id);
    if (!delivery) throw notFound('delivery', id);
    res.json(deliveryDetailJson(delivery));
  });

  router.post('/deliveries/:id/retry', async (req, res) => {
    const id = pathId(req.params.id, 'delivery');
    const delivery = await store.retryDelivery(id, now());
    if (!delivery) throw notFound('delivery', id);
    if (delivery.status === 'delivering') {
      throw new HttpError(
        'delivery_in_flight',
        `delivery ${id} is being attempted right now; retry it once that attempt has finished`,
        { status: 409, field: 'id' },
      );
    }
    wake?.();
    res.json(deliveryJson(delivery));
  });

  router.post('/endpoints/:id/replay', async (req, res) => {
    const id = pathId(req.params.id, 'endpoint');
    const { from, to } = parseAdminInput(replaySchema, req.body);
    if (from >= to) throw invalidInput('to', 'to must be later than from');
    await liveEndpoint(id);
    const replayed = await store.replayDeliveries({ endpointId: id, from, to, at: now() });
    if (replayed > 0) wake?.();
    res.json({ replayed });
  });

  router.post('/endpoints/:id/enable', async (req, res) => {
    const id = pathId(req.params.id, 'endpoint');
    await liveEndpoint(id);
    const endpoint = await store.enableEndpoint(id, now());
    if (!endpoint) throw notFound('endpoint', id);
    wake?.();
    res.json(endpointJson(endpoint));
  });

  router.post('/endpoints/:id/disable', async (req, res) => {
    const id = pathId(req.params.id, 'endpoint');
    await liveEndpoint(id);
    const endpoint = await store.disableEndpoint(id, { reason: 'manual', at: now() });
    if (!endpoint) throw notFound('endpoint', id);
    res.json(endpointJson(endpoint));
  });

  return router;
}
