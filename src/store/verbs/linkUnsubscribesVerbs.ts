/**
 * @module The link-unsubscribe verbs (`LinkUnsubscribesStore`): read what one link left, store the
 * contact's reason with it, set a group's names per locale.
 */
import type { SqlExecutor } from '../sqlExecutor.js';
import { StoreError } from '../storeError.js';
import type { LinkUnsubscribesStore } from '../linkUnsubscribesTypes.js';
import { groupColumns, groupFromRow, membershipFromRow, type GroupRow, type MembershipRow } from './rows.js';

const membershipColumns = `${groupColumns
  .split(', ')
  .map((column) => `g.${column}`)
  .join(', ')}, m.state, m.changed_at, m.source, m.reason`;

/** The link-unsubscribe verbs on one executor. */
export function createLinkUnsubscribesVerbs(executor: SqlExecutor): LinkUnsubscribesStore {
  return {
    async getLinkUnsubscribes(contactId, unsubscribeRef) {
      const rows = await executor.all<MembershipRow>(
        `SELECT ${membershipColumns}
         FROM memberships m JOIN mailing_groups g ON g.id = m.group_id
         WHERE m.contact_id = ? AND m.unsubscribe_ref = ? AND m.state = 'unsubscribed'
         ORDER BY g.id`,
        [contactId, unsubscribeRef],
      );
      return rows.map(membershipFromRow);
    },

    async setUnsubscribeReason(contactId, unsubscribeRef, reason) {
      const stored = JSON.stringify(reason.text === undefined ? { code: reason.code } : reason);
      const rows = await executor.all<{ group_id: number }>(
        `UPDATE memberships SET reason = ?
         WHERE contact_id = ? AND unsubscribe_ref = ? AND state = 'unsubscribed'
         RETURNING group_id`,
        [stored, contactId, unsubscribeRef],
      );
      return rows.length;
    },

    async setGroupNames(groupId, names) {
      const rows = await executor.all<GroupRow>(
        `UPDATE mailing_groups SET names = ? WHERE id = ? RETURNING ${groupColumns}`,
        [JSON.stringify(names), groupId],
      );
      const row = rows[0];
      if (!row) throw new StoreError('group_not_found', `group ${groupId} does not exist`, { field: 'id' });
      return groupFromRow(row);
    },
  };
}
