/**
 * @module Migration 12: a delivery's succeeded attempt kept in the delivery's own row, and room on
 * the page for the one update each outbox and delivery row gets (PostgreSQL).
 *
 * A delivery that succeeds is written twice by its completion: its row updated (`succeeded`) and an
 * `attempts` row inserted — a heap row, two index entries, a foreign-key probe of `deliveries`
 * (an SPI query and a `FOR KEY SHARE` lock record on the row just updated). For the bulk of
 * deliveries, which succeed, that INSERT was a quarter of the rows and index entries the server
 * wrote per delivery (docs/postgres-dispatch.md, fourth round). The `success_*` columns hold that
 * attempt instead: its id (from the attempts' own sequence, so the log keeps one id order), start,
 * duration, response excerpt and worker; its status is `last_status`, its error none. While a
 * delivery is `succeeded` its last attempt lives there; a manual retry moves it to `attempts`
 * before the delivery is pending again (`deliveryLogVerbs.ts`), so every other attempt — retries,
 * failures — is an `attempts` row as before. An attempt in the row cannot outlive or miss its
 * delivery: the same guarantee the foreign key gives the `attempts` rows.
 *
 * The view `attempt_log` is every attempt, wherever it lives, in the columns of `attempts`: the
 * delivery log reads it (a `WHERE delivery_id = ?` reaches both tables' indexes), and so can
 * anyone's SQL that read `attempts`.
 *
 * `deliveries_success_excerpt` (partial: only rows whose excerpt is not empty, so a receiver
 * answering 2xx with no body — the usual webhook answer — adds no entry) lets the erasure's
 * excerpt scrub walk these attempts by id, as it walks `attempts`.
 *
 * PostgreSQL only: `fillfactor` 50 on `outbox` and `deliveries`. Each row is inserted once and
 * updated once (dispatched; completed), and neither update can be HOT (see migration 11), but an
 * update whose new version fits on the same page writes one WAL record and touches one page; on a
 * full page PostgreSQL first logs a lock of the old version, then finds (or extends the table
 * for) another page: measured on the store-only cycle, 1,900 → 1,580 bytes of WAL per event, one
 * `Heap/LOCK` record less per outbox row and per delivery. The cost is disk: heap pages of these
 * two tables hold half as many rows when written (index sizes do not change). SQLite writes the
 * columns' readers' way only (its completion keeps the `attempts` row; no fillfactor there).
 */
import type { Migration } from './migration.js';

const columns = (bigint: string) => `
ALTER TABLE deliveries ADD COLUMN success_attempt_id ${bigint};
ALTER TABLE deliveries ADD COLUMN success_at ${bigint};
ALTER TABLE deliveries ADD COLUMN success_duration_ms INTEGER;
ALTER TABLE deliveries ADD COLUMN success_excerpt TEXT;
ALTER TABLE deliveries ADD COLUMN success_worker TEXT;
CREATE INDEX deliveries_success_excerpt ON deliveries (success_attempt_id) WHERE success_excerpt <> '';
CREATE VIEW attempt_log AS
  SELECT id, delivery_id, at, status, duration_ms, error, response_excerpt, worker FROM attempts
  UNION ALL
  SELECT success_attempt_id, id, success_at, last_status, success_duration_ms, NULL, success_excerpt,
    success_worker FROM deliveries WHERE success_attempt_id IS NOT NULL;
`;

/** The succeeded attempt's columns on both backends; PostgreSQL also sets the two fillfactors. */
export const m012SucceededAttemptInRow: Migration = {
  id: 12,
  name: 'succeeded attempt in the delivery row',
  sql: {
    sqlite: columns('INTEGER'),
    postgres: `${columns('BIGINT')}
ALTER TABLE outbox SET (fillfactor = 50);
ALTER TABLE deliveries SET (fillfactor = 50);
`,
  },
};
