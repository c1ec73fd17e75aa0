/**
 * @module Row ↔ domain mapping of the webhook tables (endpoints, endpoint tests, deliveries,
 * attempts): column lists, row types and mappers. Numbers are parsed by each backend already; the
 * `Number(...)` calls only guard against drivers that hand back strings.
 */
import type {
  Delivery,
  DeliveryAttempt,
  DeliveryStatus,
  EndpointTest,
  WebhookEndpoint,
  WebhookSecret,
} from '../types.js';

/** The slot of the common URL (event types never contain `*`). */
export const commonSlot = '*';

/** The slot column value of an event type, or of the common URL for null. */
export function slotOf(eventType: string | null): string {
  return eventType ?? commonSlot;
}

/** Columns of `endpoints`. */
export const endpointColumns =
  'id, event_type, url, secrets, disabled_at, disabled_reason, first_failure_at, removed_at, created_at, updated_at';

/** Columns of `deliveries` (qualified by `d.` where joined). */
export const deliveryColumnList = [
  'id',
  'event_id',
  'endpoint_id',
  'event_type',
  'webhook_id',
  'status',
  'attempts',
  'next_attempt_at',
  'lease_owner',
  'lease_expires_at',
  'ordering_key',
  'last_status',
  'last_error',
  'created_at',
  'updated_at',
] as const;

/** `deliveries` columns for a SELECT or RETURNING, optionally qualified. */
export function deliveryColumns(alias?: string): string {
  return deliveryColumnList.map((column) => (alias ? `${alias}.${column}` : column)).join(', ');
}

/** Columns of `attempts`. */
export const attemptColumns = 'id, delivery_id, at, status, duration_ms, error, response_excerpt, worker';

/** An `endpoints` row. */
export interface EndpointRow {
  [column: string]: unknown;
  id: number;
  event_type: string | null;
  url: string;
  secrets: string;
  disabled_at: number | null;
  disabled_reason: string | null;
  first_failure_at: number | null;
  removed_at: number | null;
  created_at: number;
  updated_at: number;
}

/** A `deliveries` row. */
export interface DeliveryRow {
  [column: string]: unknown;
  id: number;
  event_id: number;
  endpoint_id: number;
  event_type: string;
  webhook_id: string;
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  ordering_key: number | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** An `attempts` row. */
export interface AttemptRow {
  [column: string]: unknown;
  id: number;
  delivery_id: number;
  at: number;
  status: number | null;
  duration_ms: number;
  error: string | null;
  response_excerpt: string;
  worker: string;
}

/** An `endpoint_tests` row. */
export interface EndpointTestRow {
  [column: string]: unknown;
  url: string;
  ok: number;
  status: number | null;
  duration_ms: number;
  at: number;
}

const optionalNumber = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);

/** Maps an `endpoints` row. */
export function endpointFromRow(row: EndpointRow): WebhookEndpoint {
  return {
    id: Number(row.id),
    eventType: row.event_type,
    url: row.url,
    secrets: JSON.parse(row.secrets) as WebhookSecret[],
    disabledAt: optionalNumber(row.disabled_at),
    disabledReason: row.disabled_reason,
    firstFailureAt: optionalNumber(row.first_failure_at),
    removedAt: optionalNumber(row.removed_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Maps a `deliveries` row. */
export function deliveryFromRow(row: DeliveryRow): Delivery {
  return {
    id: Number(row.id),
    eventId: Number(row.event_id),
    eventType: row.event_type,
    endpointId: Number(row.endpoint_id),
    webhookId: row.webhook_id,
    // A pending row under a lease is `delivering` (see migration 2).
    status:
      row.status === 'pending' && row.lease_owner !== null ? 'delivering' : (row.status as DeliveryStatus),
    attempts: Number(row.attempts),
    nextAttemptAt: optionalNumber(row.next_attempt_at),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: optionalNumber(row.lease_expires_at),
    orderingKey: optionalNumber(row.ordering_key),
    lastStatus: optionalNumber(row.last_status),
    lastError: row.last_error,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Maps an `attempts` row. */
export function attemptFromRow(row: AttemptRow): DeliveryAttempt {
  return {
    id: Number(row.id),
    deliveryId: Number(row.delivery_id),
    at: Number(row.at),
    status: optionalNumber(row.status),
    durationMs: Number(row.duration_ms),
    error: row.error,
    responseExcerpt: row.response_excerpt,
    worker: row.worker,
  };
}

/** Maps an `endpoint_tests` row. */
export function endpointTestFromRow(row: EndpointTestRow): EndpointTest {
  return {
    url: row.url,
    ok: Number(row.ok) === 1,
    status: optionalNumber(row.status),
    durationMs: Number(row.duration_ms),
    at: Number(row.at),
  };
}
