/**
 * @module The event bodies of subscription changes, built purely from what the store reports
 * changed. Field names, order and types are exactly the seed's (`seed/webhooks-doc.txt`).
 *
 * Decisions:
 * - `group_name` and `groups_names` carry the group's display name (the seed's "Person subscribe
 *   (test)" is a display name), the same name recipients see on the pages.
 * - `phone` of `contact adding` is `""` when the contact has none: the seed types it as a string,
 *   and receivers that parse a string must not meet `null`.
 * - Creating a contact emits one `contact adding` listing its initial groups and NO separate
 *   `mailing group subscribe` per group: the seed's `contact adding` already carries `groups_ids`,
 *   and a receiver counting subscribes would otherwise count every new contact twice.
 * - Every event here carries the contact's id as its ordering key: the dispatcher delivers one
 *   contact's subscription events to an endpoint in commit order (issue 17, README "Ordering").
 */
import {
  outboxEvent,
  type ContactCreated,
  type MembershipsChanged,
  type NewOutboxEvent,
} from '../store/index.js';

/** `mailing group subscribe` / `mailing group unsubscribe`, one per changed membership, in order. */
export function membershipEvents({ contact, changed }: MembershipsChanged): NewOutboxEvent[] {
  return changed.map(({ group, state }) =>
    outboxEvent(
      {
        event: state === 'subscribed' ? 'mailing group subscribe' : 'mailing group unsubscribe',
        email: contact.email,
        group_id: group.id,
        group_name: group.name,
        channel: group.channel,
      },
      { orderingKey: contact.id },
    ),
  );
}

/** `contact adding` for a new contact and its initial groups. */
export function contactAddingEvents({ contact, groups }: ContactCreated): NewOutboxEvent[] {
  return [
    outboxEvent(
      {
        event: 'contact adding',
        email: contact.email,
        phone: contact.phone ?? '',
        groups_names: groups.map((group) => group.name),
        groups_ids: groups.map((group) => group.id),
      },
      { orderingKey: contact.id },
    ),
  ];
}
