/**
 * @module The step a new (or imported) contact takes when the suppression list names its address:
 * memberships recorded as `unsubscribed` from the start, inside the creating transaction.
 */
import { placeholders, type SqlSession } from '../sqlExecutor.js';
import { distinct } from './transactionSteps.js';

/** Source recorded on memberships that start unsubscribed because of the suppression list. */
export const suppressionSource = 'suppression';

/**
 * Records `unsubscribed` memberships for the groups among `groupIds` that exist, where the contact
 * has none yet (an existing membership is never changed). Returns the ids that exist (whether newly
 * recorded or already there), which the caller must then not join.
 */
export async function startUnsubscribed(
  tx: SqlSession,
  contactId: number,
  groupIds: readonly number[] | undefined,
  at: number,
): Promise<Set<number>> {
  const wanted = distinct(groupIds ?? []);
  if (wanted.length === 0) return new Set();
  const existing = await tx.all<{ id: number }>(
    `SELECT id FROM mailing_groups WHERE id IN ${placeholders(wanted.length)}`,
    wanted,
  );
  const ids = existing.map((row) => Number(row.id));
  for (const groupId of ids) {
    await tx.run(
      `INSERT INTO memberships (contact_id, group_id, state, changed_at, source)
       VALUES (?, ?, 'unsubscribed', ?, ?) ON CONFLICT (contact_id, group_id) DO NOTHING`,
      [contactId, groupId, at, suppressionSource],
    );
  }
  return new Set(ids);
}
