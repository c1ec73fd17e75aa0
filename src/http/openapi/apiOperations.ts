/**
 * @module The API's operations and named schemas, from which the OpenAPI document is generated.
 * Request schemas are the zod schemas the routes validate with (the subscription commands' input
 * schemas, the page branding schema, the webhooks API's body and query schemas, the event catalog);
 * response schemas are in `responseSchemas.ts`, checked against the routes' types.
 */
import { z } from 'zod';
import { eventSchemaName, eventSchemas, eventTypes } from '../../events/index.js';
import {
  channelSchema,
  contactPatchSchema,
  createContactSchema,
  createGroupSchema,
  groupNamesSchema,
  emailSchema,
  groupIdsSchema,
  inboundSmsSchema,
  phoneSchema,
  subscribeSchema,
  unsubscribeSchema,
} from '../../subscriptions/index.js';
import { pageBrandingSchema } from '../pageBranding.js';
import { smsReplyTextsSchema } from '../smsReplyTexts.js';
import {
  listDeliveriesQuerySchema,
  maxEventsPerRequest,
  putWebhooksSchema,
  replaySchema,
  rotateWebhookSchema,
  testWebhookSchema,
} from '../webhooksApi/index.js';
import {
  attemptJsonSchema,
  contactJsonSchema,
  contactListSchema,
  createdContactJsonSchema,
  erasureJsonSchema,
  suppressionLookupSchema,
  deliveryDetailJsonSchema,
  deliveryJsonSchema,
  deliveryListSchema,
  endpointJsonSchema,
  errorSchema,
  eventsAcceptedSchema,
  eventsErrorSchema,
  groupJsonSchema,
  groupListSchema,
  jsonValueSchema,
  mailingEventSchema,
  membershipChangeSchema,
  membershipJsonSchema,
  replayResultSchema,
  webhookEndpointSettingsSchema,
  webhookSettingsViewSchema,
  webhookTestResultSchema,
} from './responseSchemas.js';
import { templatesApiSchemas, templatesOperations } from './templatesOperations.js';
import {
  backlogStatsSchema,
  deliveryStatsQuerySchema,
  deliveryStatsSchema,
  endpointStatsSchema,
  latencyStatsQuerySchema,
  latencyStatsSchema,
  unsubscribeStatsQuerySchema,
  unsubscribeStatsSchema,
} from '../stats/index.js';

/** `message sent` → `MessageSentEvent` (the events part names its JSON Schemas so too). */
export { eventSchemaName };

/**
 * The named schemas (OpenAPI `components.schemas`): request bodies read as input (`io: 'input'`,
 * what a client sends), responses as output.
 */
export const apiSchemas: Readonly<
  Record<string, { schema: z.ZodType; io: 'input' | 'output'; description?: string }>
> = {
  Error: { schema: errorSchema, io: 'output', description: 'Every error answer of the API.' },
  EventsError: { schema: eventsErrorSchema, io: 'output', description: '422 of POST /events: every issue.' },
  JsonValue: { schema: jsonValueSchema, io: 'input', description: 'Any JSON value (extra fields).' },
  Channel: { schema: channelSchema, io: 'input' },
  NewGroup: { schema: createGroupSchema.strict(), io: 'input' },
  Group: { schema: groupJsonSchema, io: 'output' },
  GroupNames: {
    schema: groupNamesSchema,
    io: 'input',
    description: 'Display names per locale shown on the recipient pages; `{}` removes them.',
  },
  GroupList: { schema: groupListSchema, io: 'output' },
  NewContact: { schema: createContactSchema.strict(), io: 'input' },
  ContactPatch: { schema: contactPatchSchema.strict(), io: 'input' },
  Contact: { schema: contactJsonSchema, io: 'output' },
  CreatedContact: { schema: createdContactJsonSchema, io: 'output' },
  Erasure: { schema: erasureJsonSchema, io: 'output' },
  SuppressionLookup: { schema: suppressionLookupSchema, io: 'output' },
  ContactList: { schema: contactListSchema, io: 'output' },
  Membership: { schema: membershipJsonSchema, io: 'output' },
  SetGroups: {
    schema: z.strictObject({ channel: channelSchema, subscribed: groupIdsSchema }),
    io: 'input',
    description: 'The whole wanted set of subscribed groups of one channel.',
  },
  Unsubscribe: { schema: unsubscribeSchema.pick({ channel: true, groupIds: true }).strict(), io: 'input' },
  Subscribe: { schema: subscribeSchema.pick({ channel: true, groupIds: true }).strict(), io: 'input' },
  MembershipChange: { schema: membershipChangeSchema, io: 'output' },
  PageBranding: {
    schema: pageBrandingSchema,
    io: 'input',
    description: 'Branding of the public pages; missing fields take the defaults.',
  },
  WebhookSettings: { schema: webhookSettingsViewSchema, io: 'output' },
  WebhookEndpointSettings: { schema: webhookEndpointSettingsSchema, io: 'output' },
  WebhookSettingsPatch: {
    schema: putWebhooksSchema,
    io: 'input',
    description: 'A URL sets a slot (after a passed test of that URL), null empties it, absent keeps it.',
  },
  WebhookTest: { schema: testWebhookSchema, io: 'input' },
  WebhookTestResult: { schema: webhookTestResultSchema, io: 'output' },
  WebhookRotate: { schema: rotateWebhookSchema, io: 'input' },
  MailingEvent: { schema: mailingEventSchema, io: 'input', description: 'One event of the catalog.' },
  ...Object.fromEntries(
    eventTypes.map((type) => [eventSchemaName(type), { schema: eventSchemas[type], io: 'input' as const }]),
  ),
  EventsIngest: {
    schema: z.union([mailingEventSchema, z.array(mailingEventSchema).min(1).max(maxEventsPerRequest)]),
    io: 'input',
    description: 'One event, or an array of events (all or nothing).',
  },
  EventsAccepted: { schema: eventsAcceptedSchema, io: 'output' },
  Delivery: { schema: deliveryJsonSchema, io: 'output' },
  DeliveryDetail: { schema: deliveryDetailJsonSchema, io: 'output' },
  DeliveryAttempt: { schema: attemptJsonSchema, io: 'output' },
  DeliveryList: { schema: deliveryListSchema, io: 'output' },
  Endpoint: { schema: endpointJsonSchema, io: 'output' },
  Replay: { schema: replaySchema, io: 'input', description: 'The window [from, to) of delivery creation.' },
  ReplayResult: { schema: replayResultSchema, io: 'output' },
  // SMS replies (STOP/START)
  InboundSms: {
    schema: inboundSmsSchema.strict(),
    io: 'input',
    description: 'An inbound SMS as a messaging gateway forwards it.',
  },
  InboundSmsResult: {
    schema: z.union([
      z.object({ matched: z.literal(false) }),
      z.object({
        matched: z.literal(true),
        command: z.enum(['stop', 'start', 'none']),
        locale: z.enum(['en', 'ru']),
        reply: z.string().nullable(),
        contacts: z.array(
          z.object({
            id: z.number().int(),
            left: z.array(groupJsonSchema),
            joined: z.array(groupJsonSchema),
          }),
        ),
      }),
    ]),
    io: 'output',
    description: '`reply` is the confirmation text for the gateway to send (null when not a command).',
  },
  SmsReplyTexts: {
    schema: smsReplyTextsSchema,
    io: 'input',
    description: 'Confirmation texts of STOP and START per locale; missing ones take the defaults.',
  },
  ...templatesApiSchemas,
  // The dashboard's statistics (issue 13).
  UnsubscribeStats: { schema: unsubscribeStatsSchema, io: 'output' },
  DeliveryStats: { schema: deliveryStatsSchema, io: 'output' },
  LatencyStats: { schema: latencyStatsSchema, io: 'output' },
  BacklogStats: { schema: backlogStatsSchema, io: 'output' },
  EndpointStats: { schema: endpointStatsSchema, io: 'output' },
};

/** HTTP methods the API uses. */
export type ApiMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One response of an operation: a description and, for a body, a named schema. */
export interface ApiResponse {
  description: string;
  schema?: string;
  /** The media type of `schema` (default `application/json`). */
  mediaType?: string;
  /** More media types the same answer comes in, with their JSON Schema (e.g. `message/rfc822`). */
  otherMediaTypes?: Record<string, Record<string, unknown>>;
}

/** One operation of the API. */
export interface ApiOperation {
  method: ApiMethod;
  /** OpenAPI path with `{param}`s, including `/api`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** A query schema (zod object): each property is one query parameter. */
  query?: z.ZodObject;
  /** The named request body schema. */
  body?: string;
  /** The body's media type (default `application/json`); for NDJSON, `body` is one line's schema. */
  bodyMediaType?: string;
  responses: Record<string, ApiResponse>;
}

const error = (description: string): ApiResponse => ({ description, schema: 'Error' });
const notFound = error('Not found');
const invalid = error('Invalid input: `field` names the request field at fault');

/** Every operation, in the order the documentation lists them. */
export const apiOperations: readonly ApiOperation[] = [
  {
    method: 'get',
    path: '/api/groups',
    tag: 'Groups',
    summary: 'List mailing groups',
    query: z.strictObject({ channel: channelSchema.optional() }),
    responses: { 200: { description: 'The groups, by id', schema: 'GroupList' }, 422: invalid },
  },
  {
    method: 'post',
    path: '/api/groups',
    tag: 'Groups',
    summary: 'Create a mailing group',
    body: 'NewGroup',
    responses: {
      201: { description: 'Created (Location names it)', schema: 'Group' },
      409: error('The system name is taken'),
      422: invalid,
    },
  },
  {
    method: 'get',
    path: '/api/groups/{id}',
    tag: 'Groups',
    summary: 'Get a mailing group',
    responses: { 200: { description: 'The group', schema: 'Group' }, 404: notFound },
  },
  {
    method: 'put',
    path: '/api/groups/{id}/names',
    tag: 'Groups',
    summary: "Replace a group's display names per locale (events keep its main name)",
    body: 'GroupNames',
    responses: { 200: { description: 'The group', schema: 'Group' }, 404: notFound, 422: invalid },
  },
  {
    method: 'get',
    path: '/api/contacts',
    tag: 'Contacts',
    summary: 'Find a contact by e-mail, or list contacts by id',
    query: z.strictObject({
      email: emailSchema.optional(),
      afterId: z.coerce.number().int().min(0).optional(),
      limit: z.coerce.number().int().min(1).max(500).optional(),
    }),
    responses: { 200: { description: 'Matching contacts', schema: 'ContactList' }, 422: invalid },
  },
  {
    method: 'post',
    path: '/api/contacts',
    tag: 'Contacts',
    summary: 'Create a contact (emits `contact adding`)',
    body: 'NewContact',
    responses: {
      201: {
        description: 'Created, with memberships (and `suppressed` when the address was erased before)',
        schema: 'CreatedContact',
      },
      404: error('A group in groupIds does not exist'),
      409: error('The e-mail address is taken'),
      422: invalid,
    },
  },
  {
    method: 'get',
    path: '/api/contacts/{id}',
    tag: 'Contacts',
    summary: 'Get a contact with its memberships',
    responses: { 200: { description: 'The contact', schema: 'Contact' }, 404: notFound },
  },
  {
    method: 'patch',
    path: '/api/contacts/{id}',
    tag: 'Contacts',
    summary: 'Update a contact (present fields replace the stored ones)',
    body: 'ContactPatch',
    responses: {
      200: { description: 'The contact', schema: 'Contact' },
      404: notFound,
      409: error('The e-mail address is taken'),
      422: invalid,
    },
  },
  {
    method: 'delete',
    path: '/api/contacts/{id}',
    tag: 'Contacts',
    summary: 'Erase a contact (the same as POST /api/contacts/{id}/erase)',
    responses: { 200: { description: 'What was removed', schema: 'Erasure' }, 404: notFound },
  },
  {
    method: 'post',
    path: '/api/contacts/{id}/erase',
    tag: 'Contacts',
    summary:
      'Erase a contact: its memberships and every stored copy of its data (event bodies, deliveries, attempts); pending deliveries are cancelled, unsubscribes kept on the suppression list',
    responses: { 200: { description: 'What was removed', schema: 'Erasure' }, 404: notFound },
  },
  {
    method: 'get',
    path: '/api/suppressions',
    tag: 'Contacts',
    summary: 'Whether an address is on the suppression list (looked up by keyed hash, not stored)',
    query: z.strictObject({ email: emailSchema.optional(), phone: phoneSchema.optional() }),
    responses: { 200: { description: 'The entries found', schema: 'SuppressionLookup' }, 422: invalid },
  },
  {
    method: 'put',
    path: '/api/contacts/{id}/groups',
    tag: 'Contacts',
    summary: "Set a contact's subscribed groups of one channel (one event per changed group)",
    body: 'SetGroups',
    responses: {
      200: { description: 'What changed', schema: 'MembershipChange' },
      404: notFound,
      422: invalid,
    },
  },
  {
    method: 'post',
    path: '/api/contacts/{id}/unsubscribe',
    tag: 'Contacts',
    summary: 'Unsubscribe a contact from groups, or "all" of a channel',
    body: 'Unsubscribe',
    responses: {
      200: { description: 'What changed', schema: 'MembershipChange' },
      404: notFound,
      422: invalid,
    },
  },
  {
    method: 'post',
    path: '/api/contacts/{id}/subscribe',
    tag: 'Contacts',
    summary: 'Subscribe a contact to groups',
    body: 'Subscribe',
    responses: {
      200: { description: 'What changed', schema: 'MembershipChange' },
      404: notFound,
      422: invalid,
    },
  },
  {
    method: 'get',
    path: '/api/settings/pages',
    tag: 'Page settings',
    summary: 'Get the branding of the public pages',
    responses: { 200: { description: 'The branding', schema: 'PageBranding' } },
  },
  {
    method: 'put',
    path: '/api/settings/pages',
    tag: 'Page settings',
    summary: 'Replace the branding of the public pages',
    body: 'PageBranding',
    responses: { 200: { description: 'The branding saved', schema: 'PageBranding' }, 422: invalid },
  },
  {
    method: 'post',
    path: '/api/inbound/sms',
    tag: 'SMS replies',
    summary: 'A reply to an SMS: STOP/START for the contacts with that phone',
    description:
      'STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, СТОП, ОТПИСАТЬСЯ leave every SMS group; START, СТАРТ re-join what a STOP left; anything else is recorded. An unknown phone is 200 `{matched: false}` and nothing is stored.',
    body: 'InboundSms',
    responses: { 200: { description: 'What happened', schema: 'InboundSmsResult' }, 422: invalid },
  },
  {
    method: 'get',
    path: '/api/settings/sms-replies',
    tag: 'SMS replies',
    summary: 'Get the confirmation texts of STOP and START per locale',
    responses: { 200: { description: 'The texts', schema: 'SmsReplyTexts' } },
  },
  {
    method: 'put',
    path: '/api/settings/sms-replies',
    tag: 'SMS replies',
    summary: 'Replace the confirmation texts of STOP and START per locale',
    body: 'SmsReplyTexts',
    responses: { 200: { description: 'The texts saved', schema: 'SmsReplyTexts' }, 422: invalid },
  },
  {
    method: 'get',
    path: '/api/webhooks',
    tag: 'Webhooks',
    summary: 'Get the webhook settings: the common URL and per-event URLs with their secrets',
    responses: { 200: { description: 'The settings', schema: 'WebhookSettings' } },
  },
  {
    method: 'put',
    path: '/api/webhooks',
    tag: 'Webhooks',
    summary: 'Change webhook URLs (each new URL must have passed a test in the last 15 minutes)',
    body: 'WebhookSettingsPatch',
    responses: {
      200: { description: 'The new settings', schema: 'WebhookSettings' },
      409: error('A URL has not passed a recent test'),
      422: invalid,
    },
  },
  {
    method: 'post',
    path: '/api/webhooks/test',
    tag: 'Webhooks',
    summary: "Test a URL with an event's sample body (no event: every sample, for the common URL)",
    description: 'Answers 200 whatever the target answered; `ok` says whether it passed (2xx in time).',
    body: 'WebhookTest',
    responses: { 200: { description: 'The test result', schema: 'WebhookTestResult' }, 422: invalid },
  },
  {
    method: 'post',
    path: '/api/webhooks/rotate',
    tag: 'Webhooks',
    summary: "Rotate a slot's signing secret (the old one keeps signing for 24 h)",
    body: 'WebhookRotate',
    responses: {
      200: { description: 'The endpoint with its new secret', schema: 'WebhookEndpointSettings' },
      404: error('The slot has no URL'),
      422: invalid,
    },
  },
  {
    method: 'post',
    path: '/api/events',
    tag: 'Events',
    summary: 'Report events from other services (one or an array; all or nothing)',
    description: 'The Cyrillic spelling `сomplaint` is accepted and normalised to `complaint`.',
    body: 'EventsIngest',
    responses: {
      202: {
        description: 'Stored in the outbox; delivered to the configured URLs',
        schema: 'EventsAccepted',
      },
      413: error('Too many events in one request'),
      422: { description: 'Some event is not valid; nothing was stored', schema: 'EventsError' },
    },
  },
  {
    method: 'get',
    path: '/api/deliveries',
    tag: 'Deliveries',
    summary: 'List deliveries, newest first (pass `next` as `before` for the next page)',
    query: listDeliveriesQuerySchema,
    responses: { 200: { description: 'A page of deliveries', schema: 'DeliveryList' }, 422: invalid },
  },
  {
    method: 'get',
    path: '/api/deliveries/{id}',
    tag: 'Deliveries',
    summary: 'Get a delivery with its body and attempts',
    responses: { 200: { description: 'The delivery', schema: 'DeliveryDetail' }, 404: notFound },
  },
  {
    method: 'post',
    path: '/api/deliveries/{id}/retry',
    tag: 'Deliveries',
    summary: 'Retry a delivery now (a new round of attempts)',
    responses: {
      200: { description: 'The delivery, due now', schema: 'Delivery' },
      404: notFound,
      409: error('It is being attempted right now'),
    },
  },
  {
    method: 'post',
    path: '/api/endpoints/{id}/replay',
    tag: 'Deliveries',
    summary: "Replay an endpoint's failed and disabled deliveries created in a time window",
    body: 'Replay',
    responses: { 200: { description: 'How many', schema: 'ReplayResult' }, 404: notFound, 422: invalid },
  },
  {
    method: 'post',
    path: '/api/endpoints/{id}/enable',
    tag: 'Deliveries',
    summary: 'Enable a disabled endpoint',
    responses: { 200: { description: 'The endpoint', schema: 'Endpoint' }, 404: notFound },
  },
  {
    method: 'post',
    path: '/api/endpoints/{id}/disable',
    tag: 'Deliveries',
    summary: 'Disable an endpoint',
    responses: { 200: { description: 'The endpoint', schema: 'Endpoint' }, 404: notFound },
  },
  ...templatesOperations,
  // The dashboard's statistics (issue 13): each reads one time window through an index.
  {
    method: 'get',
    path: '/api/stats/unsubscribes',
    tag: 'Statistics',
    summary: 'Groups left per UTC day (default the last 30 days), by group and source',
    query: unsubscribeStatsQuerySchema,
    responses: { 200: { description: 'Counts per day', schema: 'UnsubscribeStats' }, 422: invalid },
  },
  {
    method: 'get',
    path: '/api/stats/deliveries',
    tag: 'Statistics',
    summary: 'Deliveries per hour (default the last 48) by outcome: delivered, retrying, failed',
    description:
      'Each attempt counts once, in the hour it started, by the outcome it gave its delivery (retrying: a retry is scheduled; failed: given up), so an hour no longer changes once it is over; `endpoint` limits it to one endpoint.',
    query: deliveryStatsQuerySchema,
    responses: { 200: { description: 'One series per outcome', schema: 'DeliveryStats' }, 422: invalid },
  },
  {
    method: 'get',
    path: '/api/stats/latency',
    tag: 'Statistics',
    summary: 'Attempt duration p50 and p99 per hour (default the last 48)',
    description: 'Quantiles to two significant digits (exact below 100 ms).',
    query: latencyStatsQuerySchema,
    responses: { 200: { description: 'Quantiles per hour', schema: 'LatencyStats' }, 422: invalid },
  },
  {
    method: 'get',
    path: '/api/stats/backlog',
    tag: 'Statistics',
    summary: 'Deliveries waiting, events not yet fanned out, and the oldest pending work',
    responses: { 200: { description: 'The backlog now', schema: 'BacklogStats' } },
  },
  {
    method: 'get',
    path: '/api/stats/endpoints',
    tag: 'Statistics',
    summary: 'Every endpoint with its state, failure streak and last error',
    description: 'The failure streak counts failed attempts since the failure run began.',
    responses: { 200: { description: 'The endpoints', schema: 'EndpointStats' } },
  },
];
