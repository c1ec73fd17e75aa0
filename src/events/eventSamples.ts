/**
 * @module The sample payload of every event type: the seed's test bodies (`seed/samples.json`), value
 * for value and in the same key order. Webhook tests (`POST /api/webhooks/test`) send these.
 */
import type { EventOf, EventType } from './eventSchemas.js';

const messageUid = '0123456789_012_012_01234';

/** One sample body per event type, exactly as the seed lists them. */
export const eventSamples: { readonly [K in EventType]: Readonly<EventOf<K>> } = deepFreeze({
  'message sent': {
    event: 'message sent',
    message_id: 4,
    message_uid: messageUid,
    sending_type: 'instant',
    name: 'Sending message (test)',
    from: 'user@gmail.com',
    to: 'destination@gmail.com',
  },
  'delivery bounce': {
    event: 'delivery bounce',
    message_id: 4,
    message_uid: messageUid,
    sending_type: 'instant',
    name: 'Error while sending message (test)',
    from: 'user@gmail.com',
    to: 'destination@gmail.com',
    error_message: 'Some error message',
  },
  'message open': {
    event: 'message open',
    message_id: 4,
    message_uid: messageUid,
    sending_type: 'instant',
    name: 'Open message (test)',
    from: 'user@gmail.com',
    to: 'destination@gmail.com',
  },
  'message clicked': {
    event: 'message clicked',
    message_id: 4,
    message_uid: messageUid,
    sending_type: 'instant',
    name: 'Click in message (test)',
    from: 'user@gmail.com',
    to: 'user2@gmail.com',
    click_url: 'https://clicked.link/',
  },
  complaint: {
    event: 'complaint',
    message_id: 4,
    message_uid: messageUid,
    sending_type: 'instant',
    name: 'Complaint in message (test)',
    from: 'user@gmail.com',
    to: 'destination@gmail.com',
  },
  'whatsapp template sent': {
    event: 'whatsapp template sent',
    template_name: 'template_example',
    message_id: 123,
    sending_type: 'scenario',
    from_number: '70000000000',
    to_number: '71111111111',
  },
  'whatsapp template delivered': {
    event: 'whatsapp template delivered',
    template_name: 'template_example',
    message_id: 123,
    sending_type: 'scenario',
    from_number: '70000000000',
    to_number: '71111111111',
  },
  'whatsapp template read': {
    event: 'whatsapp template read',
    template_name: 'template_example',
    message_id: 123,
    sending_type: 'scenario',
    from_number: '70000000000',
    to_number: '71111111111',
  },
  'whatsapp inbox message received': {
    event: 'whatsapp inbox message received',
    message: 'some text',
    from_number: '71111111111',
    to_number: '70000000000',
  },
  'whatsapp template bounce': {
    event: 'whatsapp template bounce',
    template_name: 'template_example',
    message_id: 123,
    sending_type: 'scenario',
    from_number: '70000000000',
    to_number: '71111111111',
    error_message: 'Some error message',
  },
  'mailing group subscribe': {
    event: 'mailing group subscribe',
    email: 'user@gmail.com',
    group_id: 4,
    group_name: 'Person subscribe (test)',
    channel: 'email',
  },
  'mailing group unsubscribe': {
    event: 'mailing group unsubscribe',
    email: 'user@gmail.com',
    group_id: 4,
    group_name: 'Person unsubscribe (test)',
    channel: 'email',
  },
  'contact adding': {
    event: 'contact adding',
    email: 'user@gmail.com',
    phone: '80123456789',
    groups_names: ['test_group_0', 'test_group_1'],
    groups_ids: [0, 1],
  },
});

/** Freezes the samples so a caller cannot change what every later test request sends. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
