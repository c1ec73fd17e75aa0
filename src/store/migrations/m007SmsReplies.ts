/**
 * @module Migration 7: replies to SMS (STOP/START and anything else) from phones that matched a
 * contact, and an index to find contacts by phone.
 *
 * - `group_ids` is a JSON list of the groups a reply left (`stop`) or re-joined (`start`): START
 *   re-joins what the STOPs since the last START left, read from these rows.
 * - Rows go with their contact (ON DELETE CASCADE): an erased contact leaves no phone behind.
 */
import type { Migration } from './migration.js';

const sqlite = `
CREATE TABLE sms_replies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  from_phone TEXT NOT NULL,
  to_phone TEXT,
  text TEXT NOT NULL,
  command TEXT NOT NULL CHECK (command IN ('stop', 'start', 'none')),
  group_ids TEXT NOT NULL DEFAULT '[]',
  received_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX sms_replies_contact ON sms_replies (contact_id, id);
CREATE INDEX contacts_phone ON contacts (phone);
`;

const postgres = `
CREATE TABLE sms_replies (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  from_phone TEXT NOT NULL,
  to_phone TEXT,
  text TEXT NOT NULL,
  command TEXT NOT NULL CHECK (command IN ('stop', 'start', 'none')),
  group_ids TEXT NOT NULL DEFAULT '[]',
  received_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX sms_replies_contact ON sms_replies (contact_id, id);
CREATE INDEX contacts_phone ON contacts (phone);
`;

/** Migration 7. */
export const m007SmsReplies: Migration = { id: 7, name: 'sms replies', sql: { sqlite, postgres } };
