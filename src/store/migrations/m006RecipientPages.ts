/**
 * @module Migration 6: what the recipient pages need beyond English — undo, reasons and group
 * names per language.
 *
 * - `memberships.unsubscribe_ref`: the link whose unsubscribe left this group (a short hash of the
 *   token, never the token). It lets that same link undo exactly the groups it left, and nothing
 *   else; any later change of the row rewrites or clears it.
 * - `memberships.reason`: why the contact left (JSON `{"code":…,"text"?:…}`), asked on the done
 *   page when the sender switches `askReason` on. Kept with the state, never in event bodies.
 * - `mailing_groups.names`: display names per locale (JSON `{"ru": "Новости"}`); `name` stays the
 *   main name that events carry.
 */
import type { Migration } from './migration.js';

const sqlite = `
ALTER TABLE memberships ADD COLUMN unsubscribe_ref TEXT;
ALTER TABLE memberships ADD COLUMN reason TEXT;
ALTER TABLE mailing_groups ADD COLUMN names TEXT NOT NULL DEFAULT '{}';
`;

const postgres = `
ALTER TABLE memberships ADD COLUMN unsubscribe_ref TEXT;
ALTER TABLE memberships ADD COLUMN reason TEXT;
ALTER TABLE mailing_groups ADD COLUMN names TEXT NOT NULL DEFAULT '{}';
`;

/** Undo references, unsubscribe reasons, group names per locale. */
export const m006RecipientPages: Migration = { id: 6, name: 'recipient pages', sql: { sqlite, postgres } };
