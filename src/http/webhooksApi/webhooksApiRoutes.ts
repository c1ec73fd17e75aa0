/**
 * @module The webhooks API as one router for the admin API's `routes` (mounted at `/api` behind its
 * bearer token, JSON body parsing, 404 and JSON error answers): settings, events, delivery log.
 */
import { Router } from 'express';
import type { EventBus } from '../../events/index.js';
import type { Store } from '../../store/index.js';
import type { WebhookSettings } from '../../webhooks/index.js';
import { deliveriesRoutes } from './deliveriesRoutes.js';
import { eventsRoutes } from './eventsRoutes.js';
import { webhooksRoutes } from './webhooksRoutes.js';

/** Options of {@link webhooksApiRoutes}. */
export interface WebhooksApiOptions {
  store: Store;
  /** The settings service (`createWebhookSettings({ store, sender, now })`). */
  settings: WebhookSettings;
  /** Events accepted by `POST /events` are emitted here after they are stored (wakes the dispatcher). */
  bus?: Pick<EventBus, 'emit'>;
  /** Told when deliveries became due by retry/replay/enable, e.g. `() => dispatcher.wake()`. */
  wake?: () => void;
  /** The clock (ms); default `Date.now`. */
  now?: () => number;
}

/**
 * `GET|PUT /webhooks`, `POST /webhooks/test`, `POST /webhooks/rotate`, `POST /events`,
 * `GET /deliveries`, `GET /deliveries/:id`, `POST /deliveries/:id/retry`,
 * `POST /endpoints/:id/replay|enable|disable`. Has no auth of its own: give it to
 * `createAdminRouter({ routes: [webhooksApiRoutes(…)] })`.
 */
export function webhooksApiRoutes(options: WebhooksApiOptions): Router {
  const now = options.now ?? Date.now;
  const router = Router();
  router.use(webhooksRoutes(options.settings));
  router.use(eventsRoutes({ store: options.store, now, ...(options.bus ? { bus: options.bus } : {}) }));
  router.use(
    deliveriesRoutes({ store: options.store, now, ...(options.wake ? { wake: options.wake } : {}) }),
  );
  return router;
}
