/**
 * @module The event catalog's schemas: one strict zod schema per event type of the seed's webhooks
 * page, with exactly its field names, types and order (the order is the order of the JSON body we
 * send, so a parsed event serialises to the same bytes as the seed's sample).
 */
import { z } from 'zod';

/** The 13 event types, in the order of the seed's webhooks page. */
export const eventTypes = [
  'message sent',
  'delivery bounce',
  'message open',
  'message clicked',
  'complaint',
  'whatsapp template sent',
  'whatsapp template delivered',
  'whatsapp template read',
  'whatsapp inbox message received',
  'whatsapp template bounce',
  'mailing group subscribe',
  'mailing group unsubscribe',
  'contact adding',
] as const;

/** One of the 13 event type names (the `event` field of every body). */
export type EventType = (typeof eventTypes)[number];

/**
 * How a message was sent: `DOI` is the double-opt-in confirmation letter, `byAPI`/`byEvent` are
 * transactional sends, `scenario` an automation step.
 */
export const sendingTypes = [
  'instant',
  'scheduled',
  'regular',
  'byAPI',
  'byEvent',
  'DOI',
  'scenario',
] as const;

/** One of the `sending_type` values. */
export type SendingType = (typeof sendingTypes)[number];

/** The channel a mailing group serves. */
export const channels = ['email', 'sms'] as const;

const id = z.int().min(0);
const sendingType = z.enum(sendingTypes);

/** Fields shared by the e-mail/SMS message events (`name` is the message subject). */
function messageEvent<T extends EventType>(event: T) {
  return {
    event: z.literal(event),
    message_id: id,
    message_uid: z.string(),
    sending_type: sendingType,
    name: z.string(),
    from: z.string(),
    to: z.string(),
  };
}

/** Fields shared by the WhatsApp template events. */
function whatsappTemplateEvent<T extends EventType>(event: T) {
  return {
    event: z.literal(event),
    template_name: z.string(),
    message_id: id,
    sending_type: sendingType,
    from_number: z.string(),
    to_number: z.string(),
  };
}

/** Fields of the mailing group membership events. */
function groupEvent<T extends EventType>(event: T) {
  return {
    event: z.literal(event),
    email: z.string(),
    group_id: id,
    group_name: z.string(),
    channel: z.enum(channels),
  };
}

/** One strict zod schema per event type: unknown fields are rejected, every field is required. */
export const eventSchemas = {
  'message sent': z.strictObject(messageEvent('message sent')),
  'delivery bounce': z.strictObject({ ...messageEvent('delivery bounce'), error_message: z.string() }),
  'message open': z.strictObject(messageEvent('message open')),
  'message clicked': z.strictObject({ ...messageEvent('message clicked'), click_url: z.string() }),
  complaint: z.strictObject(messageEvent('complaint')),
  'whatsapp template sent': z.strictObject(whatsappTemplateEvent('whatsapp template sent')),
  'whatsapp template delivered': z.strictObject(whatsappTemplateEvent('whatsapp template delivered')),
  'whatsapp template read': z.strictObject(whatsappTemplateEvent('whatsapp template read')),
  'whatsapp inbox message received': z.strictObject({
    event: z.literal('whatsapp inbox message received'),
    message: z.string(),
    from_number: z.string(),
    to_number: z.string(),
  }),
  'whatsapp template bounce': z.strictObject({
    ...whatsappTemplateEvent('whatsapp template bounce'),
    error_message: z.string(),
  }),
  'mailing group subscribe': z.strictObject(groupEvent('mailing group subscribe')),
  'mailing group unsubscribe': z.strictObject(groupEvent('mailing group unsubscribe')),
  'contact adding': z.strictObject({
    event: z.literal('contact adding'),
    email: z.string(),
    phone: z.string(),
    groups_names: z.array(z.string()),
    groups_ids: z.array(id),
  }),
} as const satisfies { [K in EventType]: z.ZodType<{ event: K }> };

/** The body of the event type `K`. */
export type EventOf<K extends EventType> = z.output<(typeof eventSchemas)[K]>;

/** Any event of the catalog, discriminated on `event`. */
export type MailingEvent = { [K in EventType]: EventOf<K> }[EventType];

/** A message was sent. */
export type MessageSentEvent = EventOf<'message sent'>;
/** A message bounced; `error_message` says why. */
export type DeliveryBounceEvent = EventOf<'delivery bounce'>;
/** A message was opened. */
export type MessageOpenEvent = EventOf<'message open'>;
/** A link in a message was clicked (`click_url`). */
export type MessageClickedEvent = EventOf<'message clicked'>;
/** The recipient marked a message as spam. */
export type ComplaintEvent = EventOf<'complaint'>;
/** A WhatsApp template message was sent. */
export type WhatsappTemplateSentEvent = EventOf<'whatsapp template sent'>;
/** A WhatsApp template message was delivered. */
export type WhatsappTemplateDeliveredEvent = EventOf<'whatsapp template delivered'>;
/** A WhatsApp template message was read. */
export type WhatsappTemplateReadEvent = EventOf<'whatsapp template read'>;
/** A WhatsApp message arrived in the inbox. */
export type WhatsappInboxMessageReceivedEvent = EventOf<'whatsapp inbox message received'>;
/** A WhatsApp template message bounced. */
export type WhatsappTemplateBounceEvent = EventOf<'whatsapp template bounce'>;
/** A contact joined a mailing group. */
export type MailingGroupSubscribeEvent = EventOf<'mailing group subscribe'>;
/** A contact left a mailing group. */
export type MailingGroupUnsubscribeEvent = EventOf<'mailing group unsubscribe'>;
/** A contact was added (with the groups it was added to). */
export type ContactAddingEvent = EventOf<'contact adding'>;
