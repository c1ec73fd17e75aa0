/**
 * @module Steps the verbs share inside a transaction: lock a contact, resolve groups, join or leave
 * groups learning which rows really changed, append outbox events, map unique violations.
 */
import { placeholders, type SqlExecutor, type SqlSession } from '../sqlExecutor.js';
import { StoreError } from '../storeError.js';
import type { Channel, Contact, Group, NewOutboxEvent, OutboxEvent } from '../types.js';
import {
  contactColumns,
  contactFromRow,
  groupColumns,
  groupFromRow,
  outboxColumns,
  outboxFromRow,
  type ContactRow,
  type GroupRow,
  type OutboxRow,
} from './rows.js';

/**
 * Reads the contact and, on PostgreSQL, locks its row until the transaction ends, so that concurrent
 * membership changes for one contact run one after the other and each change is reported once.
 * @throws StoreError `contact_not_found` (field `contactId`).
 */
export async function lockContact(
  executor: SqlExecutor,
  tx: SqlSession,
  contactId: number,
): Promise<Contact> {
  const rows = await tx.all<ContactRow>(
    `SELECT ${contactColumns} FROM contacts WHERE id = ?${executor.capabilities.lockRowsSuffix}`,
    [contactId],
  );
  const row = rows[0];
  if (!row)
    throw new StoreError('contact_not_found', `contact ${contactId} does not exist`, { field: 'contactId' });
  return contactFromRow(row);
}

/** The distinct values of `ids`, first occurrence first. */
export function distinct(ids: readonly number[]): number[] {
  return [...new Set(ids)];
}

/**
 * The groups `ids` (deduplicated, in the given order).
 * @throws StoreError `group_not_found` naming the missing ids; `channel_mismatch` when a group
 * serves another channel than `channel`. Both with `field`.
 */
export async function requireGroups(
  session: SqlSession,
  ids: readonly number[],
  options: { channel?: Channel; field: string },
): Promise<Group[]> {
  const wanted = distinct(ids);
  if (wanted.length === 0) return [];
  const rows = await session.all<GroupRow>(
    `SELECT ${groupColumns} FROM mailing_groups WHERE id IN ${placeholders(wanted.length)}`,
    wanted,
  );
  const byId = new Map(rows.map((row) => [Number(row.id), groupFromRow(row)]));
  const missing = wanted.filter((id) => !byId.has(id));
  if (missing.length > 0) {
    throw new StoreError('group_not_found', `group ${missing.join(', ')} does not exist`, {
      field: options.field,
    });
  }
  const groups = wanted.map((id) => byId.get(id) as Group);
  const foreign = groups.filter(
    (group) => options.channel !== undefined && group.channel !== options.channel,
  );
  if (foreign.length > 0) {
    throw new StoreError(
      'channel_mismatch',
      `group ${foreign.map((group) => group.id).join(', ')} serves ${foreign[0]?.channel}, not ${options.channel}`,
      { field: options.field },
    );
  }
  return groups;
}

/** Where a join may overwrite an existing membership. */
export type JoinMode =
  /** Subscribe, re-subscribing a contact that had unsubscribed (an explicit request of the contact). */
  | 'resubscribe'
  /** Only create missing memberships: an earlier unsubscribe stands (imports). */
  | 'if_absent';

/** Subscribes the contact to `groupIds`; returns the ids whose membership actually changed. */
export async function joinGroups(
  tx: SqlSession,
  contactId: number,
  groupIds: readonly number[],
  options: { mode: JoinMode; source: string; at: number },
): Promise<Set<number>> {
  const conflict =
    options.mode === 'resubscribe'
      ? // The WHERE makes a repeat a no-op: no row is updated, so none is returned.
        `DO UPDATE SET state = 'subscribed', changed_at = excluded.changed_at, source = excluded.source
         WHERE memberships.state <> 'subscribed'`
      : 'DO NOTHING';
  const changed = new Set<number>();
  for (const groupId of distinct(groupIds)) {
    const rows = await tx.all<{ group_id: number }>(
      `INSERT INTO memberships (contact_id, group_id, state, changed_at, source)
       VALUES (?, ?, 'subscribed', ?, ?)
       ON CONFLICT (contact_id, group_id) ${conflict}
       RETURNING group_id`,
      [contactId, groupId, options.at, options.source],
    );
    if (rows.length > 0) changed.add(groupId);
  }
  return changed;
}

/**
 * Unsubscribes the contact from `groupIds`, or with `'all'` from every subscribed group of
 * `channel` except `keep`. Returns the ids whose membership actually changed (only rows that were
 * `subscribed` change, so repeating it changes nothing).
 */
export async function leaveGroups(
  tx: SqlSession,
  contactId: number,
  groupIds: readonly number[] | 'all',
  options: { channel?: Channel; keep: readonly number[]; source: string; at: number },
): Promise<number[]> {
  const params: (string | number)[] = [options.at, options.source, contactId];
  let scope: string;
  if (groupIds === 'all') {
    scope = 'group_id IN (SELECT id FROM mailing_groups WHERE channel = ?)';
    params.push(options.channel ?? '');
  } else {
    const ids = distinct(groupIds);
    if (ids.length === 0) return [];
    scope = `group_id IN ${placeholders(ids.length)}`;
    params.push(...ids);
  }
  const keep = distinct(options.keep);
  if (keep.length > 0) {
    scope += ` AND group_id NOT IN ${placeholders(keep.length)}`;
    params.push(...keep);
  }
  const rows = await tx.all<{ group_id: number }>(
    `UPDATE memberships SET state = 'unsubscribed', changed_at = ?, source = ?
     WHERE contact_id = ? AND state = 'subscribed' AND ${scope}
     RETURNING group_id`,
    params,
  );
  return rows.map((row) => Number(row.group_id)).sort((a, b) => a - b);
}

/** Appends events to the outbox in order; returns them with their ids. */
export async function appendOutbox(
  tx: SqlSession,
  events: readonly NewOutboxEvent[],
  at: number,
): Promise<OutboxEvent[]> {
  const appended: OutboxEvent[] = [];
  for (const event of events) {
    const rows = await tx.all<OutboxRow>(
      `INSERT INTO outbox (type, body, created_at) VALUES (?, ?, ?) RETURNING ${outboxColumns}`,
      [event.type, event.body, at],
    );
    if (rows[0]) appended.push(outboxFromRow(rows[0]));
  }
  return appended;
}

/** Unique constraints users can violate, mapped to the error they see. */
const uniqueErrors: Record<
  string,
  { code: 'email_taken' | 'system_name_taken'; field: string; what: string }
> = {
  'contacts.email_key': {
    code: 'email_taken',
    field: 'email',
    what: 'a contact with this e-mail already exists',
  },
  'mailing_groups.system_name_key': {
    code: 'system_name_taken',
    field: 'systemName',
    what: 'a group with this system name already exists',
  },
};

/**
 * Runs `fn`, turning a unique violation of a known constraint into its `StoreError` (a race two
 * concurrent requests can lose even after a look-up found nothing).
 */
export async function mapUniqueViolation<T>(executor: SqlExecutor, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const known = uniqueErrors[executor.uniqueViolation(error) ?? ''];
    if (known) throw new StoreError(known.code, known.what, { field: known.field, cause: error });
    throw error;
  }
}
