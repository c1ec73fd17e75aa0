/**
 * @module The admin API's response bodies: groups, contacts and memberships as camelCase JSON with
 * ISO 8601 times, built in one place so every route answers with the same shapes.
 */
import type { Contact, Group, JsonObject, Membership, UnsubscribeReason } from '../../store/index.js';

/** A group as the admin API returns it. */
export interface GroupJson {
  id: number;
  name: string;
  systemName: string;
  description: string;
  channel: 'email' | 'sms';
  createdAt: string;
  /** Display names per locale, when the group has any. */
  names?: Record<string, string>;
}

/** A membership as the admin API returns it. */
export interface MembershipJson {
  group: GroupJson;
  state: 'subscribed' | 'unsubscribed';
  changedAt: string;
  source: string;
  /** Why the contact left, when it answered on the done page. */
  reason?: UnsubscribeReason;
}

/** A contact as the admin API returns it (with its memberships where the route says so). */
export interface ContactJson {
  id: number;
  email: string;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  extra: JsonObject;
  createdAt: string;
  updatedAt: string;
  memberships?: MembershipJson[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** A group's JSON. */
export function groupJson(group: Group): GroupJson {
  return {
    id: group.id,
    name: group.name,
    systemName: group.systemName,
    description: group.description,
    channel: group.channel,
    createdAt: iso(group.createdAt),
    ...(group.names ? { names: group.names } : {}),
  };
}

/** A membership's JSON. */
export function membershipJson(membership: Membership): MembershipJson {
  return {
    group: groupJson(membership.group),
    state: membership.state,
    changedAt: iso(membership.changedAt),
    source: membership.source,
    ...(membership.reason ? { reason: membership.reason } : {}),
  };
}

/** A contact's JSON, with `memberships` when given. */
export function contactJson(contact: Contact, memberships?: Membership[]): ContactJson {
  const json: ContactJson = {
    id: contact.id,
    email: contact.email,
    phone: contact.phone,
    firstName: contact.firstName,
    lastName: contact.lastName,
    extra: contact.extra,
    createdAt: iso(contact.createdAt),
    updatedAt: iso(contact.updatedAt),
  };
  if (memberships) json.memberships = memberships.map(membershipJson);
  return json;
}
