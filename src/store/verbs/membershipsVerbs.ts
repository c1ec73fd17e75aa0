/**
 * @module Membership verbs: read a contact's memberships; change them and append the resulting
 * events in one transaction.
 *
 * Why the store takes a `buildEvents` callback instead of exposing a generic transaction: only the
 * store knows, inside its transaction, which rows really changed (a repeat changes none), and the
 * events must be derived from exactly those rows and committed with them. A pure, synchronous
 * builder keeps the event bodies in `subscriptions/` while the SQLite adapter can keep its single
 * connection's transactions short and the PostgreSQL adapter its row locks.
 */
import type { SqlExecutor } from '../sqlExecutor.js';
import { StoreError } from '../storeError.js';
import type { MembershipChange, MembershipsStore } from '../types.js';
import { groupColumns, membershipFromRow, type MembershipRow } from './rows.js';
import {
  appendOutbox,
  distinct,
  joinGroups,
  leaveGroups,
  lockContact,
  requireGroups,
} from './transactionSteps.js';

/** The membership verbs on one executor. */
export function createMembershipsVerbs(executor: SqlExecutor): MembershipsStore {
  return {
    async getMemberships(contactId, channel) {
      const columns = groupColumns
        .split(', ')
        .map((column) => `g.${column}`)
        .join(', ');
      const rows = await executor.all<MembershipRow>(
        `SELECT ${columns}, m.state, m.changed_at, m.source, m.reason
         FROM memberships m JOIN mailing_groups g ON g.id = m.group_id
         WHERE m.contact_id = ?${channel === undefined ? '' : ' AND g.channel = ?'}
         ORDER BY g.id`,
        channel === undefined ? [contactId] : [contactId, channel],
      );
      return rows.map(membershipFromRow);
    },

    changeMemberships(input, buildEvents) {
      const subscribe = distinct(input.subscribe ?? []);
      const unsubscribe = input.unsubscribe ?? [];
      if (unsubscribe === 'all' && input.channel === undefined) {
        return Promise.reject(
          new StoreError('invalid_input', "unsubscribe: 'all' needs a channel", { field: 'channel' }),
        );
      }
      return executor.transaction(async (tx) => {
        const contact = await lockContact(executor, tx, input.contactId);
        const joining = await requireGroups(tx, subscribe, { channel: input.channel, field: 'groupIds' });
        // Named groups must exist and serve the channel even when the contact is in none of them.
        if (unsubscribe !== 'all') {
          await requireGroups(tx, unsubscribe, { channel: input.channel, field: 'groupIds' });
        }

        const joined = await joinGroups(tx, contact.id, subscribe, {
          mode: 'resubscribe',
          source: input.source,
          at: input.at,
        });
        // One UPDATE … RETURNING both changes the rows and names the groups that really changed.
        const left = await leaveGroups(tx, contact.id, unsubscribe, {
          channel: input.channel,
          keep: subscribe,
          source: input.source,
          at: input.at,
          unsubscribeRef: input.unsubscribeRef ?? null,
        });

        // Order: joins as requested, then leaves as requested (or by id for 'all').
        const leftById = new Map(left.map((group) => [group.id, group]));
        const leftOrder =
          unsubscribe === 'all' ? left : distinct(unsubscribe).flatMap((id) => leftById.get(id) ?? []);
        const changed: MembershipChange[] = [
          ...joining
            .filter((group) => joined.has(group.id))
            .map((group) => ({ group, state: 'subscribed' as const })),
          ...leftOrder.map((group) => ({ group, state: 'unsubscribed' as const })),
        ];
        // The history the dashboard counts (memberships keeps only the latest state).
        if (changed.length > 0) {
          await tx.run(
            `INSERT INTO membership_changes (at, contact_id, group_id, state, source) VALUES ${changed
              .map(() => '(?, ?, ?, ?, ?)')
              .join(', ')}`,
            changed.flatMap((change) => [input.at, contact.id, change.group.id, change.state, input.source]),
          );
        }
        const events =
          changed.length > 0 ? await appendOutbox(tx, buildEvents({ contact, changed }), input.at) : [];
        return { value: changed, events };
      });
    },
  };
}
