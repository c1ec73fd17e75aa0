/**
 * @module Mailing-group verbs: create, look up by id or system name, list by channel.
 */
import { placeholders, type SqlExecutor } from '../sqlExecutor.js';
import type { GroupsStore } from '../types.js';
import { caseKey, groupColumns, groupFromRow, type GroupRow } from './rows.js';
import { distinct, mapUniqueViolation } from './transactionSteps.js';

/** The group verbs on one executor. */
export function createGroupsVerbs(executor: SqlExecutor): GroupsStore {
  const select = async (where: string, params: (string | number)[]) =>
    (await executor.all<GroupRow>(`SELECT ${groupColumns} FROM mailing_groups ${where}`, params)).map(
      groupFromRow,
    );

  return {
    createGroup(input, at) {
      return mapUniqueViolation(executor, async () => {
        const rows = await executor.all<GroupRow>(
          `INSERT INTO mailing_groups (name, system_name, system_name_key, description, channel, created_at, names)
           VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${groupColumns}`,
          [
            input.name,
            input.systemName,
            caseKey(input.systemName),
            input.description ?? '',
            input.channel,
            at,
            JSON.stringify(input.names ?? {}),
          ],
        );
        return groupFromRow(rows[0] as GroupRow);
      });
    },

    async getGroup(id) {
      return (await select('WHERE id = ?', [id]))[0];
    },

    async getGroups(ids) {
      const wanted = distinct(ids);
      if (wanted.length === 0) return [];
      return select(`WHERE id IN ${placeholders(wanted.length)} ORDER BY id`, wanted);
    },

    async findGroupBySystemName(systemName) {
      return (await select('WHERE system_name_key = ?', [caseKey(systemName)]))[0];
    },

    listGroups(options = {}) {
      return options.channel === undefined
        ? select('ORDER BY id', [])
        : select('WHERE channel = ? ORDER BY id', [options.channel]);
    },
  };
}
