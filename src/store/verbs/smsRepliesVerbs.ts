/**
 * @module SMS reply verbs: apply a STOP/START (or record anything else) for every contact with the
 * sender's phone, with the membership changes, their events and the record in one transaction.
 */
import { placeholders, type SqlExecutor, type SqlSession } from '../sqlExecutor.js';
import type { SmsCommand, SmsRepliesStore, SmsReply, SmsReplyOutcome } from '../smsRepliesTypes.js';
import type { Group, MembershipChange, OutboxEvent } from '../types.js';
import { contactColumns, groupColumns, groupFromRow, type ContactRow, type GroupRow } from './rows.js';
import { appendOutbox, joinGroups, leaveGroups, lockContact } from './transactionSteps.js';

type SmsReplyRow = {
  id: number | string;
  contact_id: number | string;
  from_phone: string;
  to_phone: string | null;
  text: string;
  command: string;
  group_ids: string;
  received_at: number | string;
  created_at: number | string;
};

function parseIds(json: string): number[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? value.filter((id): id is number => Number.isSafeInteger(id)) : [];
}

/** The groups the `stop` replies since the contact's last `start` left, that still exist, by id. */
async function groupsLeftByStops(tx: SqlSession, contactId: number): Promise<Group[]> {
  const rows = await tx.all<{ group_ids: string }>(
    `SELECT group_ids FROM sms_replies
     WHERE contact_id = ? AND command = 'stop'
       AND id > COALESCE((SELECT MAX(id) FROM sms_replies WHERE contact_id = ? AND command = 'start'), 0)`,
    [contactId, contactId],
  );
  const ids = [...new Set(rows.flatMap((row) => parseIds(row.group_ids)))];
  if (ids.length === 0) return [];
  const groups = await tx.all<GroupRow>(
    `SELECT ${groupColumns} FROM mailing_groups WHERE channel = 'sms' AND id IN ${placeholders(ids.length)} ORDER BY id`,
    ids,
  );
  return groups.map(groupFromRow);
}

/** The SMS reply verbs on one executor. */
export function createSmsRepliesVerbs(executor: SqlExecutor): SmsRepliesStore {
  return {
    applySmsReply(input, buildEvents) {
      const phones = [...new Set(input.phones)];
      if (phones.length === 0) return Promise.resolve({ value: [], events: [] });
      return executor.transaction(async (tx) => {
        const matches = await tx.all<ContactRow>(
          `SELECT ${contactColumns} FROM contacts WHERE phone IN ${placeholders(phones.length)} ORDER BY id`,
          phones,
        );
        const value: SmsReplyOutcome[] = [];
        const events: OutboxEvent[] = [];
        for (const match of matches) {
          // Locked (PostgreSQL) so a concurrent unsubscribe of the same contact is reported once.
          const contact = await lockContact(executor, tx, Number(match.id));
          let changed: MembershipChange[] = [];
          if (input.command === 'stop') {
            const left = await leaveGroups(tx, contact.id, 'all', {
              channel: 'sms',
              keep: [],
              source: input.source,
              at: input.at,
            });
            changed = left.map((group) => ({ group, state: 'unsubscribed' }));
          } else if (input.command === 'start') {
            const wanted = await groupsLeftByStops(tx, contact.id);
            const joined = await joinGroups(
              tx,
              contact.id,
              wanted.map((group) => group.id),
              { mode: 'resubscribe', source: input.source, at: input.at },
            );
            changed = wanted
              .filter((group) => joined.has(group.id))
              .map((group) => ({ group, state: 'subscribed' }));
          }
          await tx.run(
            `INSERT INTO sms_replies (contact_id, from_phone, to_phone, text, command, group_ids, received_at, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
            [
              contact.id,
              input.from,
              input.to,
              input.text,
              input.command,
              JSON.stringify(changed.map((change) => change.group.id)),
              input.receivedAt,
              input.at,
            ],
          );
          if (changed.length > 0)
            events.push(...(await appendOutbox(tx, buildEvents({ contact, changed }), input.at)));
          value.push({ contact, changed });
        }
        return { value, events };
      });
    },

    async listSmsReplies(contactId, options = {}) {
      const rows = await executor.all<SmsReplyRow>(
        `SELECT id, contact_id, from_phone, to_phone, text, command, group_ids, received_at, created_at
         FROM sms_replies WHERE contact_id = ? ORDER BY id DESC LIMIT ?`,
        [contactId, options.limit ?? 100],
      );
      return rows.map((row): SmsReply => ({
        id: Number(row.id),
        contactId: Number(row.contact_id),
        from: row.from_phone,
        to: row.to_phone,
        text: row.text,
        command: row.command as SmsCommand,
        groupIds: parseIds(row.group_ids),
        receivedAt: Number(row.received_at),
        createdAt: Number(row.created_at),
      }));
    },
  };
}
