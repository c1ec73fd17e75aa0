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
        `DO UPDATE SET state = 'subscribed', changed_at = excluded.changed_at, source = excluded.source,
           unsubscribe_ref = NULL, reason = NULL
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
 * The group columns of the membership row being changed, for a `RETURNING` clause: the id is the
 * row's own `group_id`; the others are scalar subqueries (a primary-key look-up each). Both backends
 * accept subqueries there, so one statement both changes the rows and names their groups, where a
 * separate SELECT of the groups would cost a whole statement more on the one-click hot path.
 */
const returningGroupColumns = groupColumns
  .split(', ')
  .map((column) =>
    column === 'id'
      ? 'group_id AS id'
      : `(SELECT g.${column} FROM mailing_groups g WHERE g.id = memberships.group_id) AS ${column}`,
  )
  .join(', ');

/**
 * Unsubscribes the contact from `groupIds`, or with `'all'` from every subscribed group of
 * `channel` except `keep`. Returns the groups whose membership actually changed, by id (only rows
 * that were `subscribed` change, so repeating it changes nothing).
 */
export async function leaveGroups(
  tx: SqlSession,
  contactId: number,
  groupIds: readonly number[] | 'all',
  options: {
    channel?: Channel;
    keep: readonly number[];
    source: string;
    at: number;
    /** The link that unsubscribes (see `ChangeMembershipsInput.unsubscribeRef`); null for none. */
    unsubscribeRef?: string | null;
  },
): Promise<Group[]> {
  const params: (string | number | null)[] = [
    options.at,
    options.source,
    options.unsubscribeRef ?? null,
    contactId,
  ];
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
  const rows = await tx.all<GroupRow>(
    `UPDATE memberships SET state = 'unsubscribed', changed_at = ?, source = ?, unsubscribe_ref = ?,
       reason = NULL
     WHERE contact_id = ? AND state = 'subscribed' AND ${scope}
     RETURNING ${returningGroupColumns}`,
    params,
  );
  return rows.map(groupFromRow).sort((a, b) => a.id - b.id);
}

/**
 * Rows per INSERT of `appendOutbox`: one statement for the few events of a request, while a large
 * import stays far below either backend's parameter limit and adds at most this many distinct
 * statement texts to the SQLite statement cache.
 */
const outboxRowsPerInsert = 100;

/**
 * Appends events to the outbox in order, one multi-row INSERT per chunk; returns them with their ids.
 *
 * Order of commit (why the caller locks first): on PostgreSQL an outbox id is taken at INSERT and
 * transactions commit in any order, so a lower id can commit after a higher one. Per ordering key
 * (contact) that must not happen, or a worker could deliver the later change before the earlier
 * one is even visible. Every writer of a keyed event therefore holds that contact's row lock
 * before this INSERT: `changeMemberships` and `importContacts` lock it (`lockContact`, `FOR
 * UPDATE`), `createContact` inserts it (invisible to others until commit), `appendEvents` locks
 * the keyed contacts. A second change of the contact waits for the lock, i.e. for the first
 * one's COMMIT, before it takes its id: per contact, id order is commit order. (SQLite runs one
 * writer at a time, so there it holds for every id.)
 */
export async function appendOutbox(
  tx: SqlSession,
  events: readonly NewOutboxEvent[],
  at: number,
): Promise<OutboxEvent[]> {
  const appended: OutboxEvent[] = [];
  for (let from = 0; from < events.length; from += outboxRowsPerInsert) {
    const chunk = events.slice(from, from + outboxRowsPerInsert);
    const rows = await tx.all<OutboxRow>(
      `INSERT INTO outbox (type, body, created_at, ordering_key)
       VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}
       RETURNING ${outboxColumns}`,
      chunk.flatMap((event) => [event.type, event.body, at, event.orderingKey ?? null]),
    );
    // Ids grow in VALUES order; RETURNING's row order is unspecified (SQLite says so), ids are not.
    appended.push(...rows.map(outboxFromRow).sort((a, b) => a.id - b.id));
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
