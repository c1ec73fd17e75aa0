/**
 * @module The `WebhooksStore` verb group: endpoints and URL tests, the dispatcher's fan-out/claim/
 * complete verbs, and the delivery log, composed over one executor.
 */
import type { SqlExecutor } from '../sqlExecutor.js';
import type { WebhooksStore } from '../types.js';
import { createDeliveryLogVerbs } from './deliveryLogVerbs.js';
import { createDispatchVerbs } from './dispatchVerbs.js';
import { createEndpointsVerbs } from './endpointsVerbs.js';

/** The webhook verbs on one executor. */
export function createWebhooksVerbs(executor: SqlExecutor): WebhooksStore {
  return {
    ...createEndpointsVerbs(executor),
    ...createDispatchVerbs(executor),
    ...createDeliveryLogVerbs(executor),
  };
}
