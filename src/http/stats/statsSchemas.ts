/**
 * @module The `/api/stats/…` query and response schemas: the routes validate their queries with
 * them and the OpenAPI document is generated from them.
 */
import { z } from 'zod';

const isoTime = z.iso.datetime();
const count = z.int().min(0);

/** `?days=` of the unsubscribes chart (1–90, default 30). */
export const unsubscribeStatsQuerySchema = z.strictObject({
  days: z.coerce.number().int().min(1).max(90).optional(),
});

/** `?hours=&endpoint=` of the deliveries and latency charts (1–168 hours, default 48). */
export const deliveryStatsQuerySchema = z.strictObject({
  hours: z.coerce.number().int().min(1).max(168).optional(),
  endpoint: z.coerce.number().int().min(1).optional(),
});

/** `?hours=` of the latency chart. */
export const latencyStatsQuerySchema = deliveryStatsQuerySchema.pick({ hours: true });

/** Unsubscribes per UTC day, group and source. */
export const unsubscribeStatsSchema = z.strictObject({
  from: isoTime,
  to: isoTime,
  /** Every day of the window (UTC midnights), oldest first, so empty days are drawn too. */
  days: z.array(isoTime),
  groups: z.array(z.strictObject({ id: z.int(), name: z.string(), channel: z.enum(['email', 'sms']) })),
  sources: z.array(z.string()),
  counts: z.array(z.strictObject({ day: isoTime, groupId: z.int(), source: z.string(), count })),
  total: count,
});

/** Deliveries per hour by outcome. */
export const deliveryStatsSchema = z.strictObject({
  from: isoTime,
  to: isoTime,
  endpoint: z.int().nullable(),
  hours: z.array(isoTime),
  delivered: z.array(count),
  retrying: z.array(count),
  failed: z.array(count),
});

/** Attempt latency per hour. */
export const latencyStatsSchema = z.strictObject({
  from: isoTime,
  to: isoTime,
  hours: z.array(isoTime),
  attempts: z.array(count),
  p50Ms: z.array(z.number().nullable()),
  p99Ms: z.array(z.number().nullable()),
});

/** The backlog now. */
export const backlogStatsSchema = z.strictObject({
  pendingDeliveries: count,
  undispatchedEvents: count,
  oldestPendingAt: isoTime.nullable(),
  oldestPendingAgeSeconds: z.number().nullable(),
});

/** Endpoints with their health. */
export const endpointStatsSchema = z.strictObject({
  endpoints: z.array(
    z.strictObject({
      id: z.int(),
      slot: z.string(),
      eventType: z.string().nullable(),
      url: z.string(),
      state: z.enum(['enabled', 'failing', 'disabled']),
      disabledReason: z.string().nullable(),
      failingSince: isoTime.nullable(),
      failureStreak: count,
      lastError: z.string().nullable(),
      lastErrorAt: isoTime.nullable(),
    }),
  ),
});
