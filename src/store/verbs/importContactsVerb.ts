/**
 * @module The batch import verb: many contacts created or merged in ONE transaction, so a failure
 * anywhere leaves nothing half-imported.
 */
import type { SqlExecutor } from '../sqlExecutor.js';
import type { ContactsStore, Group, JsonObject, MembershipChange } from '../types.js';
import { caseKey, contactColumns, contactFromRow, type ContactRow } from './rows.js';
import { startUnsubscribed } from './suppressionSteps.js';
import { appendOutbox, joinGroups, mapUniqueViolation, requireGroups } from './transactionSteps.js';

/**
 * Builds `importContacts` for one executor. Merge rules for an e-mail that already exists: a
 * given (non-null) phone or name replaces the stored one; extra fields are merged key by key (the
 * row wins); groups are joined only where the contact has no membership row, because an import
 * must never re-subscribe someone who unsubscribed.
 */
export function createImportContacts(executor: SqlExecutor): ContactsStore['importContacts'] {
  const lock = executor.capabilities.lockRowsSuffix;
  return (rows, options) =>
    mapUniqueViolation(executor, () =>
      executor.transaction(async (tx) => {
        const allGroupIds = rows.flatMap((row) => row.groupIds);
        const groups = new Map<number, Group>(
          (await requireGroups(tx, allGroupIds, { field: 'groupIds' })).map((group) => [group.id, group]),
        );
        const events = [];
        let created = 0;
        let updated = 0;
        for (const [index, row] of rows.entries()) {
          const found = await tx.all<ContactRow>(
            `SELECT ${contactColumns} FROM contacts WHERE email_key = ?${lock}`,
            [caseKey(row.email)],
          );
          // Deduplicated, first occurrence first.
          const rowGroups = [...new Set(row.groupIds)].map((id) => groups.get(id) as Group);
          if (found[0]) {
            const existing = contactFromRow(found[0]);
            const extra: JsonObject = { ...existing.extra, ...row.extra };
            const merged = await tx.all<ContactRow>(
              `UPDATE contacts SET phone = ?, first_name = ?, last_name = ?, extra = ?, updated_at = ?
               WHERE id = ? RETURNING ${contactColumns}`,
              [
                row.phone ?? existing.phone,
                row.firstName ?? existing.firstName,
                row.lastName ?? existing.lastName,
                JSON.stringify(extra),
                options.at,
                existing.id,
              ],
            );
            const contact = contactFromRow(merged[0] as ContactRow);
            const suppressed = await startUnsubscribed(tx, contact.id, row.startUnsubscribed, options.at);
            const joined = await joinGroups(
              tx,
              contact.id,
              row.groupIds.filter((id) => !suppressed.has(id)),
              {
                mode: 'if_absent',
                source: options.source,
                at: options.at,
              },
            );
            const changed: MembershipChange[] = rowGroups
              .filter((group) => joined.has(group.id))
              .map((group) => ({ group, state: 'subscribed' }));
            if (changed.length > 0) {
              events.push(...(await appendOutbox(tx, options.onChanged({ contact, changed }), options.at)));
            }
            updated += 1;
          } else {
            const inserted = await tx.all<ContactRow>(
              `INSERT INTO contacts (email, email_key, phone, first_name, last_name, extra, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               RETURNING ${contactColumns}`,
              [
                row.email.trim(),
                caseKey(row.email),
                row.phone ?? null,
                row.firstName ?? null,
                row.lastName ?? null,
                JSON.stringify(row.extra ?? {}),
                options.at,
                options.at,
              ],
            );
            const contact = contactFromRow(inserted[0] as ContactRow);
            const suppressed = await startUnsubscribed(tx, contact.id, row.startUnsubscribed, options.at);
            const joining = rowGroups.filter((group) => !suppressed.has(group.id));
            await joinGroups(
              tx,
              contact.id,
              joining.map((group) => group.id),
              { mode: 'resubscribe', source: options.source, at: options.at },
            );
            events.push(
              ...(await appendOutbox(tx, options.onCreated({ contact, groups: joining }), options.at)),
            );
            created += 1;
          }
          options.onProgress?.(index + 1, rows.length);
        }
        return { value: { created, updated }, events };
      }),
    );
}
