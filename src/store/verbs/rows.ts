/**
 * @module Row ↔ domain mapping shared by the verbs: column lists, row types and the mappers that
 * turn snake_case rows (numbers already parsed by each backend) into domain objects.
 */
import type {
  Channel,
  Contact,
  Group,
  JsonObject,
  Membership,
  MembershipState,
  OutboxEvent,
  UnsubscribeReason,
} from '../types.js';

/** Columns of `contacts`, in the order `contactFromRow` expects. */
export const contactColumns = 'id, email, phone, first_name, last_name, extra, created_at, updated_at';

/** Columns of `mailing_groups`. */
export const groupColumns = 'id, name, system_name, description, channel, created_at, names';

/** Columns of `outbox`. */
export const outboxColumns = 'id, type, body, created_at, dispatched_at, ordering_key';

/** A `contacts` row. */
export interface ContactRow {
  [column: string]: unknown;
  id: number;
  email: string;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  extra: string;
  created_at: number;
  updated_at: number;
}

/** A `mailing_groups` row. */
export interface GroupRow {
  [column: string]: unknown;
  id: number;
  name: string;
  system_name: string;
  description: string;
  channel: string;
  created_at: number;
  /** JSON object of names per locale (migration 6). */
  names: string | null;
}

/** An `outbox` row. */
export interface OutboxRow {
  [column: string]: unknown;
  id: number;
  type: string;
  body: string;
  created_at: number;
  dispatched_at: number | null;
  ordering_key: number | null;
}

/** A `memberships` row joined with its group (group columns prefixed `g_`). */
export interface MembershipRow extends GroupRow {
  state: string;
  changed_at: number;
  source: string;
  /** JSON `{code, text?}` or null (migration 6). */
  reason?: string | null;
}

/** The case-insensitive key of an e-mail address or system name. */
export function caseKey(value: string): string {
  return value.trim().toLowerCase();
}

/** Maps a `contacts` row (through `contactFromValues`: one place converts a contact's columns). */
export function contactFromRow(row: ContactRow): Contact {
  return contactFromValues([
    row.id,
    row.email,
    row.phone,
    row.first_name,
    row.last_name,
    row.extra,
    row.created_at,
    row.updated_at,
  ]);
}

/** The values of a `contacts` row in `contactColumns` order (`SqlSession.firstValues`). */
export type ContactValues = [
  id: number,
  email: string,
  phone: string | null,
  firstName: string | null,
  lastName: string | null,
  extra: string,
  createdAt: number,
  updatedAt: number,
];

/** Maps a `contacts` row read as values (`contactColumns` order); the same contact as `contactFromRow`. */
export function contactFromValues(values: ContactValues): Contact {
  return {
    id: Number(values[0]),
    email: values[1],
    phone: values[2],
    firstName: values[3],
    lastName: values[4],
    extra: JSON.parse(values[5]) as JsonObject,
    createdAt: Number(values[6]),
    updatedAt: Number(values[7]),
  };
}

/** Maps a `mailing_groups` row. */
export function groupFromRow(row: GroupRow): Group {
  return {
    id: Number(row.id),
    name: row.name,
    systemName: row.system_name,
    description: row.description,
    channel: row.channel as Channel,
    createdAt: Number(row.created_at),
    ...namesOf(row.names),
  };
}

/** `{ names }` when a group has display names per locale, else nothing (most groups have none). */
function namesOf(stored: string | null | undefined): { names?: Record<string, string> } {
  if (!stored || stored === '{}') return {};
  const names = JSON.parse(stored) as Record<string, string>;
  return Object.keys(names).length > 0 ? { names } : {};
}

/** Maps a `memberships` row joined with its group. */
export function membershipFromRow(row: MembershipRow): Membership {
  const membership: Membership = {
    group: groupFromRow(row),
    state: membershipState(row.state),
    changedAt: Number(row.changed_at),
    source: row.source,
  };
  if (row.reason) membership.reason = JSON.parse(row.reason) as UnsubscribeReason;
  return membership;
}

/** Maps an `outbox` row. */
export function outboxFromRow(row: OutboxRow): OutboxEvent {
  return {
    id: Number(row.id),
    type: row.type,
    body: row.body,
    createdAt: Number(row.created_at),
    dispatchedAt: row.dispatched_at === null ? null : Number(row.dispatched_at),
    orderingKey: row.ordering_key === null ? null : Number(row.ordering_key),
  };
}

/** Narrows a stored state string. */
export function membershipState(value: string): MembershipState {
  return value === 'subscribed' ? 'subscribed' : 'unsubscribed';
}
