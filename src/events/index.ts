/**
 * @module The event catalog: one zod schema and one sample body per event type of the seed's
 * webhooks page, their TypeScript types, parsing of untrusted bodies, and an in-process event bus.
 *
 * Terms: an *event* is one JSON body such as `{"event": "mailing group unsubscribe", …}`; its
 * *event type* is the `event` field, one of {@link eventTypes}. Event bodies are fixed by the seed:
 * the same field names, types and order on every channel (bus, outbox, webhook POST).
 */
export {
  eventTypes,
  sendingTypes,
  channels,
  eventSchemas,
  type EventType,
  type SendingType,
  type EventOf,
  type MailingEvent,
  type MessageSentEvent,
  type DeliveryBounceEvent,
  type MessageOpenEvent,
  type MessageClickedEvent,
  type ComplaintEvent,
  type WhatsappTemplateSentEvent,
  type WhatsappTemplateDeliveredEvent,
  type WhatsappTemplateReadEvent,
  type WhatsappInboxMessageReceivedEvent,
  type WhatsappTemplateBounceEvent,
  type MailingGroupSubscribeEvent,
  type MailingGroupUnsubscribeEvent,
  type ContactAddingEvent,
} from './eventSchemas.js';
export { eventSamples } from './eventSamples.js';
export {
  parseEvent,
  parseEvents,
  normalizeEventName,
  isEventType,
  type EventIssue,
  type EventBatchIssue,
  type ParseEventResult,
  type ParseEventsResult,
} from './parseEvent.js';
export {
  createEventBus,
  EventBusError,
  type EventBus,
  type EventBusOptions,
  type EventHandler,
} from './createEventBus.js';
export {
  eventJsonSchemaDocument,
  eventJsonSchema,
  eventSchemaName,
  type EventJsonSchema,
} from './eventJsonSchemas.js';
