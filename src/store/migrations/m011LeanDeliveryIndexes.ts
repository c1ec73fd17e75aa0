/**
 * @module Migration 11: fewer index entries and foreign-key checks per delivery on PostgreSQL.
 *
 * Every delivery inserts a `deliveries` row (fan-out) and updates it once (completion). Neither
 * write can be a HOT update — the completion changes `status` and `next_attempt_at`, which the
 * claim index keys on and filters by, and that index is the queue itself — so each write adds an
 * entry to every index whose predicate the new row version matches. Before this migration that was
 * seven entries at fan-out (eight for a keyed event) and four at completion, plus a foreign-key
 * probe of `outbox` and of `endpoints` per row at fan-out. Measured on 100,000 rows (psql,
 * docs/postgres-dispatch.md, third round) the two foreign-key probes were the largest single part
 * of the fan-out INSERT.
 *
 * PostgreSQL only:
 * - `deliveries_status (status, event_id)` becomes partial on the rare final statuses (`failed`,
 *   `disabled`): the retention pass over those and the replay read it. Succeeded deliveries (the
 *   bulk) are found by retention in event order through the unique `(event_id, endpoint_id)`
 *   index, where the oldest events' deliveries are almost all final. Pending ones are in the
 *   claim index.
 * - `deliveries_claim` carries `event_id` and `lease_owner` (INCLUDE): the `/metrics` and backlog
 *   counts (pending, leased, oldest pending event) read it alone, as they read
 *   `deliveries_status` and `deliveries_leased` before. `deliveries_leased` goes: its entry per
 *   delivery was written at fan-out (deliveries are created leased) only for that count.
 * - The foreign key `deliveries.endpoint_id → endpoints` goes: endpoints are never deleted (a
 *   removed endpoint keeps its row, migration 2), and fan-out takes the id from a join with
 *   `endpoints`, so the check guarded nothing, but it cost a lookup and a `FOR KEY SHARE` row lock
 *   of the endpoint per delivery — the same row for every worker's fan-out. The keys to `outbox`
 *   and of `attempts` stay: retention and erasure delete those parents.
 *
 * SQLite keeps its indexes (no INCLUDE; its counts read `deliveries_leased`, see
 * `unfinishedCountSql` in the delivery log verbs) and its foreign keys (dropping one needs a
 * table rebuild). Queries that must differ are per-backend data beside them.
 */
import type { Migration } from './migration.js';

/** The PostgreSQL indexes of deliveries after this migration; SQLite: nothing changes. */
export const m011LeanDeliveryIndexes: Migration = {
  id: 11,
  name: 'lean delivery indexes',
  sql: {
    sqlite: '',
    postgres: `
DROP INDEX deliveries_status;
CREATE INDEX deliveries_status ON deliveries (status, event_id) WHERE status IN ('failed', 'disabled');
DROP INDEX deliveries_leased;
DROP INDEX deliveries_claim;
CREATE INDEX deliveries_claim ON deliveries (endpoint_id, next_attempt_at, id) INCLUDE (event_id, lease_owner)
  WHERE status = 'pending';
ALTER TABLE deliveries DROP CONSTRAINT deliveries_endpoint_id_fkey;
`,
  },
};
