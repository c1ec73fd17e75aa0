/**
 * @module Contact verbs: read, create (with initial groups and events, in one transaction), update,
 * delete.
 */
import type { SqlExecutor } from '../sqlExecutor.js';
import { StoreError } from '../storeError.js';
import type { ContactPatch, ContactsStore } from '../types.js';
import { createImportContacts } from './importContactsVerb.js';
import {
  caseKey,
  contactColumns,
  contactFromRow,
  contactFromValues,
  type ContactRow,
  type ContactValues,
} from './rows.js';
import { startUnsubscribed } from './suppressionSteps.js';
import { appendOutbox, joinGroups, mapUniqueViolation, requireGroups } from './transactionSteps.js';

/** Largest page of `listContacts`. */
const maxPage = 1_000;

/** Columns a patch may set, with how the value is stored. */
const patchColumns: { [K in keyof ContactPatch]-?: (value: ContactPatch[K]) => [string, string | null][] } = {
  email: (value) => [
    ['email', (value ?? '').trim()],
    ['email_key', caseKey(value ?? '')],
  ],
  phone: (value) => [['phone', value ?? null]],
  firstName: (value) => [['first_name', value ?? null]],
  lastName: (value) => [['last_name', value ?? null]],
  extra: (value) => [['extra', JSON.stringify(value ?? {})]],
};

/**
 * The look-ups by id and by e-mail key, built once: `getContact` runs on every link page, and a
 * statement text built per call had to be joined and hashed again to find its prepared statement.
 */
const selectById = `SELECT ${contactColumns} FROM contacts WHERE id = ?`;
const selectByEmailKey = `SELECT ${contactColumns} FROM contacts WHERE email_key = ?`;

/** The contact verbs on one executor. */
export function createContactsVerbs(executor: SqlExecutor): ContactsStore {
  // One row by key, read as values: no keyed row object per read (see `SqlSession.firstValues`).
  // (`then`, not an async function: a link page awaits this on every request, and each async layer
  // costs its own promise and resumption.)
  const selectContact = (sql: string, value: string | number) =>
    executor
      .firstValues<ContactValues>(sql, [value])
      .then((values) => (values ? contactFromValues(values) : undefined));

  return {
    getContact: (id) => selectContact(selectById, id),

    findContactByEmail: (email) => selectContact(selectByEmailKey, caseKey(email)),

    async listContacts(options = {}) {
      const limit = Math.min(Math.max(1, options.limit ?? 100), maxPage);
      const rows = await executor.all<ContactRow>(
        `SELECT ${contactColumns} FROM contacts WHERE id > ? ORDER BY id LIMIT ?`,
        [options.afterId ?? 0, limit],
      );
      return rows.map(contactFromRow);
    },

    createContact(input, buildEvents) {
      return mapUniqueViolation(executor, () =>
        executor.transaction(async (tx) => {
          const groups = await requireGroups(tx, input.groupIds ?? [], { field: 'groupIds' });
          const rows = await tx.all<ContactRow>(
            `INSERT INTO contacts (email, email_key, phone, first_name, last_name, extra, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             RETURNING ${contactColumns}`,
            [
              input.email.trim(),
              caseKey(input.email),
              input.phone ?? null,
              input.firstName ?? null,
              input.lastName ?? null,
              JSON.stringify(input.extra ?? {}),
              input.at,
              input.at,
            ],
          );
          const contact = contactFromRow(rows[0] as ContactRow);
          const suppressed = await startUnsubscribed(tx, contact.id, input.startUnsubscribed, input.at);
          const joining = groups.filter((group) => !suppressed.has(group.id));
          await joinGroups(
            tx,
            contact.id,
            joining.map((group) => group.id),
            { mode: 'resubscribe', source: input.source, at: input.at },
          );
          const events = await appendOutbox(tx, buildEvents({ contact, groups: joining }), input.at);
          return { value: contact, events };
        }),
      );
    },

    updateContact(id, patch, at) {
      return mapUniqueViolation(executor, async () => {
        const assignments: [string, string | number | null][] = [];
        for (const key of Object.keys(patchColumns) as (keyof ContactPatch)[]) {
          if (patch[key] === undefined) continue;
          const toColumns = patchColumns[key] as (value: unknown) => [string, string | null][];
          assignments.push(...toColumns(patch[key]));
        }
        assignments.push(['updated_at', at]);
        const rows = await executor.all<ContactRow>(
          `UPDATE contacts SET ${assignments.map(([column]) => `${column} = ?`).join(', ')}
           WHERE id = ? RETURNING ${contactColumns}`,
          [...assignments.map(([, value]) => value), id],
        );
        if (!rows[0])
          throw new StoreError('contact_not_found', `contact ${id} does not exist`, { field: 'contactId' });
        return contactFromRow(rows[0]);
      });
    },

    importContacts: createImportContacts(executor),
  };
}
