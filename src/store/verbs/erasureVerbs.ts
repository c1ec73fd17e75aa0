/**
 * @module Erasure verbs: erase a contact (merging its unsubscribes into the suppression list), scrub
 * every stored copy of its address from the history in pages, and read the suppression list.
 *
 * Event bodies are the exact JSON that was (or will be) POSTed, so they are searched as text for
 * the person's e-mail and phone as JSON string values. The scrub walks the outbox and the attempt
 * log by id in pages, one short transaction each: the contact is already gone when it starts, so
 * no new event can name the person, and one-clicks and dispatch never wait behind it.
 *
 * The scrub is a row of `erasure_scrubs` (migration 13), written by the transaction that deletes
 * the contact and deleted by the one of its last page; each page reads its needles and cursors
 * from the row (locked on PostgreSQL, so two drivers take turns) and writes the cursors back.
 */
import { placeholders, type SqlExecutor, type SqlSession } from '../sqlExecutor.js';
import type {
  ErasureScrub,
  ErasureStore,
  ScrubCounts,
  ScrubHistoryResult,
  Suppression,
  SuppressedGroups,
} from '../retentionTypes.js';
import { channels, type BackendName, type Channel } from '../types.js';
import { chunks, idChunk, paddedIds } from './completeAttemptsVerb.js';
import { deleteDeliveries } from './retentionVerbs.js';
import { contactColumns, contactFromRow, type ContactRow } from './rows.js';

/** What differs per backend, as data. */
interface ErasureDialect {
  /** `(haystack, needle) > 0` when needle occurs: SQLite `instr`, PostgreSQL `strpos`. */
  position: string;
  /**
   * Run after the last page of a scrub: SQLite copies the WAL into the file and truncates it, so
   * the erased bytes (overwritten in the file by `secure_delete`) are not left in old WAL frames.
   * PostgreSQL keeps dead row versions until VACUUM (see the README).
   */
  afterScrub: string | null;
}

const erasureDialects: Record<BackendName, ErasureDialect> = {
  sqlite: { position: 'instr', afterScrub: 'PRAGMA wal_checkpoint(TRUNCATE)' },
  postgres: { position: 'strpos', afterScrub: null },
};

interface SuppressionRow {
  [column: string]: unknown;
  key: string;
  channel: string;
  groups: string;
  created_at: number;
  updated_at: number;
}

function suppressionFromRow(row: SuppressionRow): Suppression {
  const groups = JSON.parse(row.groups) as SuppressedGroups;
  return {
    key: row.key,
    channel: row.channel as Channel,
    groups,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** The union of two suppressions' groups (`all` absorbs any list). */
function mergeGroups(a: SuppressedGroups, b: SuppressedGroups): SuppressedGroups {
  if (a === 'all' || b === 'all') return 'all';
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

/** A row of `erasure_scrubs` as a page reads it. */
interface ScrubRow {
  [column: string]: unknown;
  needles: string;
  after_event_id: number | string | null;
  after_attempt_id: number | string | null;
  events: number | string;
  deliveries: number | string;
  cancelled: number | string;
  attempts: number | string;
  excerpts: number | string;
}

/** `text` as it appears inside an event body (a JSON string value), lower-cased. */
function jsonNeedle(text: string): string {
  return JSON.stringify(text).toLowerCase();
}

/** The erasure verbs on one executor. */
export function createErasureVerbs(executor: SqlExecutor): ErasureStore {
  const dialect = erasureDialects[executor.capabilities.name];
  const lock = executor.capabilities.lockRowsSuffix;
  const matchAny = (column: string, count: number) =>
    `(${Array.from({ length: count }, () => `${dialect.position}(lower(${column}), ?) > 0`).join(' OR ')})`;

  const upsertSuppression = async (
    tx: SqlSession,
    entry: Omit<Suppression, 'createdAt' | 'updatedAt'>,
    at: number,
  ) => {
    const [existing] = await tx.all<SuppressionRow>(
      `SELECT key, channel, groups, created_at, updated_at FROM suppressions WHERE key = ?${lock}`,
      [entry.key],
    );
    const groups = existing ? mergeGroups(suppressionFromRow(existing).groups, entry.groups) : entry.groups;
    const rows = await tx.all<SuppressionRow>(
      `INSERT INTO suppressions (key, channel, groups, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET groups = excluded.groups, updated_at = excluded.updated_at
       RETURNING key, channel, groups, created_at, updated_at`,
      [entry.key, entry.channel, JSON.stringify(groups), at, at],
    );
    return suppressionFromRow(rows[0] as SuppressionRow);
  };

  return {
    eraseContact(input) {
      return executor.transaction(async (tx) => {
        const [row] = await tx.all<ContactRow>(`SELECT ${contactColumns} FROM contacts WHERE id = ?${lock}`, [
          input.contactId,
        ]);
        if (!row) return undefined;
        const contact = contactFromRow(row);
        const memberships = await tx.all<{ group_id: number; state: string; channel: string }>(
          `SELECT m.group_id, m.state, g.channel FROM memberships m JOIN mailing_groups g ON g.id = m.group_id
           WHERE m.contact_id = ?`,
          [contact.id],
        );
        const suppressions: Suppression[] = [];
        for (const channel of channels) {
          const address = channel === 'email' ? contact.email : contact.phone;
          if (!address) continue;
          const left = memberships
            .filter((m) => m.channel === channel && m.state === 'unsubscribed')
            .map((m) => Number(m.group_id));
          if (left.length === 0) continue;
          const [all] = await tx.all<{ n: number }>(
            'SELECT COUNT(*) AS n FROM mailing_groups WHERE channel = ?',
            [channel],
          );
          // Left every group the channel has: suppress the channel, groups created later included.
          const groups: SuppressedGroups =
            left.length >= Number(all?.n ?? 0) ? 'all' : left.sort((a, b) => a - b);
          suppressions.push(
            await upsertSuppression(
              tx,
              { key: input.suppressionKey(channel, address), channel, groups },
              input.at,
            ),
          );
        }
        const removed = await tx.run('DELETE FROM memberships WHERE contact_id = ?', [contact.id]);
        // Its membership history (the dashboard's, no foreign key) and its SMS replies (their phone
        // and text; they also cascade with the contact, said here so no backend setting decides it).
        await tx.run('DELETE FROM membership_changes WHERE contact_id = ?', [contact.id]);
        await tx.run('DELETE FROM sms_replies WHERE contact_id = ?', [contact.id]);
        await tx.run('DELETE FROM contacts WHERE id = ?', [contact.id]);
        // The address itself (specific enough to match anywhere: bodies, quoted in responses); the
        // phone as a whole JSON string, since its digits alone may occur inside other numbers.
        const needles = [contact.email.trim().toLowerCase()];
        if (contact.phone && contact.phone.trim().length > 0) needles.push(jsonNeedle(contact.phone));
        const [scrub] = await tx.all<{ id: number | string }>(
          `INSERT INTO erasure_scrubs (contact_id, needles, after_event_id, after_attempt_id, created_at, updated_at)
           VALUES (?, ?, 0, 0, ?, ?) RETURNING id`,
          [contact.id, JSON.stringify(needles), input.at, input.at],
        );
        return { contactId: contact.id, memberships: removed, suppressions, scrubId: Number(scrub?.id) };
      });
    },

    async scrubHistory(input) {
      const scan = Math.max(1, Math.floor(input.scanLimit));
      const result = await executor.transaction(async (tx): Promise<ScrubHistoryResult> => {
        const page: ScrubCounts = { events: 0, deliveries: 0, cancelled: 0, attempts: 0, excerpts: 0 };
        const [row] = await tx.all<ScrubRow>(
          `SELECT needles, after_event_id, after_attempt_id, events, deliveries, cancelled, attempts, excerpts
           FROM erasure_scrubs WHERE id = ?${lock}`,
          [input.scrubId],
        );
        if (!row) return { ...page, total: { ...page }, done: true };
        const needles = [
          ...new Set((JSON.parse(row.needles) as string[]).map((n) => n.toLowerCase())),
        ].filter(Boolean);
        let afterEventId = row.after_event_id === null ? null : Number(row.after_event_id);
        let afterAttemptId = row.after_attempt_id === null ? null : Number(row.after_attempt_id);
        // Attempts are `attempts` rows or, for a succeeded delivery, in its row (migration 12); both
        // take ids from one sequence, so one cursor walks both. Only excerpts not empty are
        // scrubbed, which is what `deliveries_success_excerpt` holds.
        const [bounds] = await tx.all<{
          event_max: number | null;
          attempt_max: number | null;
          in_row_max: number | null;
        }>(
          `SELECT (SELECT MAX(id) FROM outbox) AS event_max, (SELECT MAX(id) FROM attempts) AS attempt_max,
             (SELECT MAX(success_attempt_id) FROM deliveries WHERE success_excerpt <> '') AS in_row_max`,
        );
        const eventMax = Number(bounds?.event_max ?? 0);
        const attemptMax = Math.max(Number(bounds?.attempt_max ?? 0), Number(bounds?.in_row_max ?? 0));

        if (afterEventId !== null && needles.length > 0 && afterEventId < eventMax) {
          const to = Math.min(afterEventId + scan, eventMax);
          const events = (
            await tx.all<{ id: number }>(
              // Locked (PostgreSQL): a fan-out running now either finished first (its deliveries are
              // then seen below) or skips these events; none can add a delivery to a deleted event.
              `SELECT id FROM outbox WHERE id > ? AND id <= ? AND ${matchAny('body', needles.length)}${lock}`,
              [afterEventId, to, ...needles],
            )
          ).map((event) => Number(event.id));
          for (const ids of chunks(events, idChunk).map(paddedIds)) {
            const deliveries = await tx.all<{ id: number; status: string }>(
              `SELECT id, status FROM deliveries WHERE event_id IN ${placeholders(ids.length)}${lock}`,
              ids,
            );
            page.cancelled += deliveries.filter((d) => d.status === 'pending').length;
            const removed = await deleteDeliveries(
              tx,
              deliveries.map((d) => Number(d.id)),
              { onlyFinal: false },
            );
            page.deliveries += removed.deliveries;
            page.attempts += removed.attempts;
            page.events += await tx.run(`DELETE FROM outbox WHERE id IN ${placeholders(ids.length)}`, ids);
          }
          afterEventId = to >= eventMax ? null : to;
        } else {
          afterEventId = null;
        }

        if (afterAttemptId !== null && needles.length > 0 && afterAttemptId < attemptMax) {
          const to = Math.min(afterAttemptId + scan, attemptMax);
          page.excerpts = await tx.run(
            `UPDATE attempts SET response_excerpt = '' WHERE id > ? AND id <= ?
               AND ${matchAny('response_excerpt', needles.length)}`,
            [afterAttemptId, to, ...needles],
          );
          page.excerpts += await tx.run(
            `UPDATE deliveries SET success_excerpt = '' WHERE success_attempt_id > ? AND success_attempt_id <= ?
               AND success_excerpt <> '' AND ${matchAny('success_excerpt', needles.length)}`,
            [afterAttemptId, to, ...needles],
          );
          afterAttemptId = to >= attemptMax ? null : to;
        } else {
          afterAttemptId = null;
        }

        const total: ScrubCounts = {
          events: Number(row.events) + page.events,
          deliveries: Number(row.deliveries) + page.deliveries,
          cancelled: Number(row.cancelled) + page.cancelled,
          attempts: Number(row.attempts) + page.attempts,
          excerpts: Number(row.excerpts) + page.excerpts,
        };
        const done = afterEventId === null && afterAttemptId === null;
        if (done) {
          // The needles go with the last page: nothing is left to find them in.
          await tx.run('DELETE FROM erasure_scrubs WHERE id = ?', [input.scrubId]);
        } else {
          await tx.run(
            `UPDATE erasure_scrubs SET after_event_id = ?, after_attempt_id = ?, events = ?, deliveries = ?,
               cancelled = ?, attempts = ?, excerpts = ?, updated_at = ? WHERE id = ?`,
            [
              afterEventId,
              afterAttemptId,
              total.events,
              total.deliveries,
              total.cancelled,
              total.attempts,
              total.excerpts,
              input.at,
              input.scrubId,
            ],
          );
        }
        return { ...page, total, done };
      });
      if (result.done && dialect.afterScrub) await executor.all(dialect.afterScrub);
      return result;
    },

    async listErasureScrubs() {
      const rows = await executor.all<{
        id: number | string;
        contact_id: number | string;
        created_at: number | string;
        updated_at: number | string;
      }>('SELECT id, contact_id, created_at, updated_at FROM erasure_scrubs ORDER BY id');
      return rows.map((row): ErasureScrub => ({
        id: Number(row.id),
        contactId: Number(row.contact_id),
        createdAt: Number(row.created_at),
        updatedAt: Number(row.updated_at),
      }));
    },

    async findSuppressions(keys) {
      const found: Suppression[] = [];
      // An import asks for every row's keys at once: chunks stay below the parameter limits.
      for (const chunk of chunks([...new Set(keys)], idChunk)) {
        const rows = await executor.all<SuppressionRow>(
          `SELECT key, channel, groups, created_at, updated_at FROM suppressions WHERE key IN ${placeholders(chunk.length)}`,
          chunk,
        );
        found.push(...rows.map(suppressionFromRow));
      }
      return found;
    },
  };
}
