/**
 * @module Zod schemas of the API's response bodies, for the OpenAPI document. The routes build these
 * bodies from TypeScript types (`GroupJson`, `DeliveryJson`, `WebhookSettingsView`, …) rather than
 * parse them, so each schema here is checked against its type at compile time: a field added to a
 * route's answer but not here (or the other way round) fails `tsc`.
 */
import { z } from 'zod';
import { eventSchemas, eventTypes } from '../../events/index.js';
import { channelSchema, extraSchema } from '../../subscriptions/index.js';
import { deliveryStatuses, type DeliveryStatus } from '../../store/index.js';
import type {
  WebhookEndpointSettings,
  WebhookSettingsView,
  WebhookTestResult,
} from '../../webhooks/index.js';
import type { ContactJson, GroupJson, MembershipJson } from '../admin/index.js';
import type { AttemptJson, DeliveryDetailJson, DeliveryJson, EndpointJson } from '../webhooksApi/index.js';

/** True when A and B name the same top-level fields (optional ones included). */
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
/** True when A and B accept the same values and name the same fields. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? SameKeys<A, B> : false) : false;
/** True when every A is a B (the schema B describes at least what A can be) and the fields agree. */
type Covers<A, B> = [A] extends [B] ? SameKeys<A, B> : false;
/** Compiles only for `true`. */
type Check<T extends true> = T;

const isoTime = z.iso.datetime({ offset: true });

/** Any one event of the catalog, as stored and POSTed (discriminated on `event`). */
export const mailingEventSchema = z.union(
  eventTypes.map((type) => eventSchemas[type]) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]],
);

/** The JSON value of one extra field (recursive). */
export const jsonValueSchema = extraSchema.valueType;

/** The API's error body. */
export const errorSchema = z.object({
  error: z.object({
    code: z.string().meta({ description: 'Stable code, e.g. invalid_input, not_found, url_not_tested' }),
    message: z.string(),
    field: z.string().optional().meta({ description: 'The request field at fault, e.g. events.complaint' }),
  }),
});

/** The error body of `POST /events`, with every issue. */
export const eventsErrorSchema = z.object({
  error: errorSchema.shape.error.extend({
    issues: z.array(
      z.object({
        index: z.number().int(),
        path: z.array(z.union([z.string(), z.number()])),
        code: z.string(),
        message: z.string(),
      }),
    ),
  }),
});

export const groupJsonSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  systemName: z.string(),
  description: z.string(),
  channel: channelSchema,
  createdAt: isoTime,
  names: z
    .record(z.string(), z.string())
    .optional()
    .meta({ description: 'Display names per locale shown on the recipient pages (events keep name)' }),
});

export const membershipJsonSchema = z.object({
  group: groupJsonSchema,
  state: z.enum(['subscribed', 'unsubscribed']),
  changedAt: isoTime,
  source: z.string(),
  reason: z
    .object({
      code: z.enum(['too_many', 'not_relevant', 'never_signed_up', 'other']),
      text: z.string().optional(),
    })
    .optional()
    .meta({ description: 'The contact\'s answer to "why?" on the done page (askReason), if any' }),
});

export const contactJsonSchema = z.object({
  id: z.number().int(),
  email: z.string(),
  phone: z.string().nullable(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  extra: extraSchema,
  createdAt: isoTime,
  updatedAt: isoTime,
  memberships: z.array(membershipJsonSchema).optional(),
});

export const groupListSchema = z.object({ groups: z.array(groupJsonSchema) });

export const contactListSchema = z.object({
  contacts: z.array(contactJsonSchema),
  nextAfterId: z
    .number()
    .int()
    .nullable()
    .optional()
    .meta({ description: 'Cursor of the next page, when listing' }),
});

/** The answer of a membership change. */
export const membershipChangeSchema = z.object({
  joined: z.array(groupJsonSchema),
  left: z.array(groupJsonSchema),
  memberships: z.array(membershipJsonSchema),
});

export const webhookEndpointSettingsSchema = z.object({
  id: z.number().int(),
  url: z.string(),
  secret: z.string().meta({ description: 'The current signing secret, whsec_…' }),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  disabledAt: isoTime.nullable(),
  previousSecretExpiresAt: isoTime.nullable(),
});

export const webhookSettingsViewSchema = z.object({
  common: webhookEndpointSettingsSchema.nullable(),
  events: z.partialRecord(z.enum(eventTypes), webhookEndpointSettingsSchema),
});

const sendErrorSchema = z.object({ code: z.string(), message: z.string() });

export const webhookTestResultSchema = z.object({
  ok: z.boolean(),
  status: z.number().int().nullable(),
  duration_ms: z.number(),
  response_excerpt: z.string(),
  sent: z.union([mailingEventSchema, z.array(mailingEventSchema)]),
  error: sendErrorSchema.optional(),
  attempts: z.array(
    z.object({
      event: z.enum(eventTypes),
      ok: z.boolean(),
      status: z.number().int().nullable(),
      duration_ms: z.number(),
      error: sendErrorSchema.optional(),
    }),
  ),
});

const statusSchema = z.enum(deliveryStatuses as [DeliveryStatus, ...DeliveryStatus[]]);

export const deliveryJsonSchema = z.object({
  id: z.number().int(),
  eventId: z.number().int(),
  eventType: z.string(),
  endpointId: z.number().int(),
  webhookId: z.string(),
  status: statusSchema,
  attempts: z.number().int(),
  nextAttemptAt: isoTime.nullable(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
});

export const attemptJsonSchema = z.object({
  id: z.number().int(),
  at: isoTime,
  status: z.number().int().nullable(),
  durationMs: z.number(),
  error: z.string().nullable(),
  responseExcerpt: z.string(),
  worker: z.string(),
});

export const deliveryDetailJsonSchema = deliveryJsonSchema.extend({
  body: z.string().meta({ description: 'The event JSON exactly as POSTed' }),
  attemptLog: z.array(attemptJsonSchema),
});

export const deliveryListSchema = z.object({
  deliveries: z.array(deliveryJsonSchema),
  next: z.number().int().nullable().meta({ description: 'The `before` of the next page, or null' }),
});

export const endpointJsonSchema = z.object({
  id: z.number().int(),
  eventType: z.string().nullable(),
  url: z.string(),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  disabledAt: isoTime.nullable(),
  removed: z.boolean(),
});

export const replayResultSchema = z.object({ replayed: z.number().int() });

export const eventsAcceptedSchema = z.object({
  accepted: z.number().int(),
  ids: z.array(z.number().int()).meta({ description: 'Outbox ids of the stored events' }),
});

// Compile-time agreement with the types the routes answer with.
export type SchemaChecks = [
  Check<Same<z.output<typeof groupJsonSchema>, GroupJson>>,
  Check<Same<z.output<typeof membershipJsonSchema>, MembershipJson>>,
  Check<Covers<ContactJson, z.output<typeof contactJsonSchema>>>,
  Check<Same<z.output<typeof webhookEndpointSettingsSchema>, WebhookEndpointSettings>>,
  Check<Covers<WebhookSettingsView, z.output<typeof webhookSettingsViewSchema>>>,
  Check<Covers<WebhookTestResult, z.output<typeof webhookTestResultSchema>>>,
  Check<Same<z.output<typeof deliveryJsonSchema>, DeliveryJson>>,
  Check<Same<z.output<typeof attemptJsonSchema>, AttemptJson>>,
  Check<Same<z.output<typeof deliveryDetailJsonSchema>, DeliveryDetailJson>>,
  Check<Same<z.output<typeof endpointJsonSchema>, EndpointJson>>,
];

/** What the suppression list keeps for one channel of an address (no address stored). */
export const suppressionNoticeSchema = z.object({
  channel: z.enum(['email', 'sms']),
  groups: z.union([z.array(z.number().int()), z.literal('all')]),
});

/** A created contact: as `Contact`, plus what the suppression list kept unsubscribed. */
export const createdContactJsonSchema = contactJsonSchema.extend({
  suppressed: z.array(suppressionNoticeSchema).optional().meta({
    description:
      'Present when the address is on the suppression list: the groups it starts unsubscribed from because an erased contact had left them',
  }),
});

/** The answer of an erasure: counts of what was removed. */
export const erasureJsonSchema = z.object({
  erased: z.object({
    contactId: z.number().int(),
    memberships: z.number().int(),
    events: z.number().int(),
    deliveries: z.number().int(),
    cancelled: z.number().int().meta({ description: 'Of the deliveries, those still pending (cancelled)' }),
    attempts: z.number().int(),
    excerpts: z
      .number()
      .int()
      .meta({ description: 'Other attempts whose response excerpt quoted the address' }),
    suppressed: z.array(suppressionNoticeSchema),
  }),
});

/** The answer of a suppression look-up. */
export const suppressionLookupSchema = z.object({
  suppressed: z.boolean(),
  entries: z.array(suppressionNoticeSchema),
});
