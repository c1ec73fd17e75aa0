/**
 * @module Migration 9: on PostgreSQL, every statement that inserts into `outbox` NOTIFYs channel
 * `unsub_outbox` with the schema's name, delivered when (and only if) its transaction commits, so
 * idle workers in other processes wake at once instead of at their next poll. A trigger, not a
 * statement in the verbs: every writer (including a second version during a rolling deploy) wakes
 * the workers, and it costs no round trip. Statement-level, and PostgreSQL folds identical
 * notifications of one transaction into one, so an import of 100,000 events sends a handful.
 * SQLite has no other process to wake: nothing to do there.
 */
import type { Migration } from './migration.js';

export const m009OutboxNotify: Migration = {
  id: 9,
  name: 'outbox notify',
  sql: {
    sqlite: 'SELECT 1',
    postgres: `
CREATE OR REPLACE FUNCTION unsub_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('unsub_outbox', TG_TABLE_SCHEMA);
  RETURN NULL;
END
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION unsub_outbox_notify();
`,
  },
};
