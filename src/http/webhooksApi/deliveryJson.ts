/**
 * @module The webhooks API's response bodies for deliveries, attempts and endpoints: camelCase with
 * ISO 8601 times, as the rest of the admin API answers.
 */
import type {
  Delivery,
  DeliveryAttempt,
  DeliveryDetail,
  DeliveryStatus,
  WebhookEndpoint,
} from '../../store/index.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

/** A delivery in a listing. */
export interface DeliveryJson {
  id: number;
  eventId: number;
  eventType: string;
  endpointId: number;
  /** The `webhook-id` header, stable across attempts. */
  webhookId: string;
  status: DeliveryStatus;
  /** Attempts made in the current round. */
  attempts: number;
  /** When the next attempt is due (pending) or the lease expires (delivering). */
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

/** One attempt of a delivery. */
export interface AttemptJson {
  id: number;
  at: string;
  status: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string;
  worker: string;
}

/** A delivery with its exact body and attempt log (oldest first). */
export interface DeliveryDetailJson extends DeliveryJson {
  /** The event JSON exactly as POSTed. */
  body: string;
  attemptLog: AttemptJson[];
}

/** An endpoint without its secrets (they are shown by `GET /api/webhooks`). */
export interface EndpointJson {
  id: number;
  /** The event type it serves, or null for the common URL. */
  eventType: string | null;
  url: string;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  /** True once removed from its slot (kept for the delivery log). */
  removed: boolean;
}

/** A delivery's JSON. */
export function deliveryJson(delivery: Delivery): DeliveryJson {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    endpointId: delivery.endpointId,
    webhookId: delivery.webhookId,
    status: delivery.status,
    attempts: delivery.attempts,
    nextAttemptAt: isoOrNull(delivery.nextAttemptAt),
    lastStatus: delivery.lastStatus,
    lastError: delivery.lastError,
    createdAt: iso(delivery.createdAt),
    updatedAt: iso(delivery.updatedAt),
  };
}

/** An attempt's JSON. */
export function attemptJson(attempt: DeliveryAttempt): AttemptJson {
  return {
    id: attempt.id,
    at: iso(attempt.at),
    status: attempt.status,
    durationMs: attempt.durationMs,
    error: attempt.error,
    responseExcerpt: attempt.responseExcerpt,
    worker: attempt.worker,
  };
}

/** A delivery's JSON with body and attempts. */
export function deliveryDetailJson(delivery: DeliveryDetail): DeliveryDetailJson {
  return { ...deliveryJson(delivery), body: delivery.body, attemptLog: delivery.attemptLog.map(attemptJson) };
}

/** An endpoint's JSON. */
export function endpointJson(endpoint: WebhookEndpoint): EndpointJson {
  return {
    id: endpoint.id,
    eventType: endpoint.eventType,
    url: endpoint.url,
    enabled: endpoint.disabledAt === null,
    disabledReason: endpoint.disabledReason,
    disabledAt: isoOrNull(endpoint.disabledAt),
    removed: endpoint.removedAt !== null,
  };
}
