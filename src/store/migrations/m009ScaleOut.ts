/**
 * @module Migration 9, two changes for scale-out.
 *
 * The claim's index ends in `id`: the claim takes `ORDER BY next_attempt_at, id LIMIT n` of an
 * endpoint's due pending deliveries, and on `(endpoint_id, next_attempt_at)` PostgreSQL had to
 * read every due row and sort them to find the first n (EXPLAIN at 1 M deliveries with 10,000 due:
 * 10,000 rows read, 220 ms, for 64; see docs/postgres-dispatch.md). With `id` in the index the
 * scan is in claim order and stops after n. It replaces `deliveries_due` (same rows, one more key).
 *
 * On PostgreSQL, every statement that inserts into `outbox` NOTIFYs channel
 * `unsub_outbox` with the schema's name, delivered when (and only if) its transaction commits, so
 * idle workers in other processes wake at once instead of at their next poll. A trigger, not a
 * statement in the verbs: every writer (including a second version during a rolling deploy) wakes
 * the workers, and it costs no round trip. Statement-level, and PostgreSQL folds identical
 * notifications of one transaction into one, so an import of 100,000 events sends a handful.
 * SQLite has no other process to wake: nothing to do there.
 */
import type { Migration } from './migration.js';

export const m009ScaleOut: Migration = {
  id: 9,
  name: 'outbox notify, claim index in claim order',
  sql: {
    sqlite: `
CREATE INDEX deliveries_claim ON deliveries (endpoint_id, next_attempt_at, id) WHERE status = 'pending';
DROP INDEX deliveries_due;
`,
    postgres: `
CREATE INDEX deliveries_claim ON deliveries (endpoint_id, next_attempt_at, id) WHERE status = 'pending';
DROP INDEX deliveries_due;
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
