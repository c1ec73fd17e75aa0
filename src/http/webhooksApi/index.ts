/**
 * @module The webhooks HTTP API: settings with test-before-save and rotation, event ingestion from
 * other services, the delivery log (list, show, retry, replay, enable), and `GET /metrics`.
 */
export { webhooksApiRoutes, type WebhooksApiOptions } from './webhooksApiRoutes.js';
export { metricsRoutes, type MetricsRoutesOptions } from './metricsRoutes.js';
export {
  webhooksRoutes,
  putWebhooksSchema,
  testWebhookSchema,
  rotateWebhookSchema,
} from './webhooksRoutes.js';
export { eventsRoutes, maxEventsPerRequest, type EventsRoutesOptions } from './eventsRoutes.js';
export {
  deliveriesRoutes,
  deliveriesPage,
  listDeliveriesQuerySchema,
  replaySchema,
  type DeliveriesRoutesOptions,
} from './deliveriesRoutes.js';
export {
  deliveryJson,
  deliveryDetailJson,
  attemptJson,
  endpointJson,
  type DeliveryJson,
  type DeliveryDetailJson,
  type AttemptJson,
  type EndpointJson,
} from './deliveryJson.js';
export { webhooksApiStatus, asApiError } from './apiInput.js';
