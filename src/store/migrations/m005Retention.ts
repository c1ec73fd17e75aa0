/**
 * @module Migration 5: the suppression list, and the index retention prunes by.
 *
 * - `suppressions` keeps an erased person's unsubscribes without their address: `key` is a keyed
 *   hash (HMAC-SHA256 with the installation secret, computed by the subscriptions part) of the
 *   channel and the normalised address; `groups` is `"all"` or a JSON list of group ids. Nothing
 *   else about the person is stored.
 * - `outbox_created` finds the newest event older than the retention cut-off in one index step
 *   (ids grow with time, so every older event has a smaller id): pruning then walks ids, never
 *   the whole history. One more index entry per event is the price on the append path.
 * - `deliveries_leased` holds only the deliveries a worker has leased right now (a few hundred at
 *   most: every verb that finishes, releases or parks a delivery clears its lease), so `/metrics`
 *   counts `delivering` from it instead of reading every pending row; a claim adds one entry to
 *   this small index and the completion removes it. Its column is one no claim or completion
 *   filters on by equality, so it never replaces their id look-ups.
 * - SQLite's `auto_vacuum=INCREMENTAL` cannot be switched inside a transaction (it needs a VACUUM),
 *   so it is not here: see `openSqliteExecutor` (new and small files) and `unsub db vacuum`.
 */
import type { Migration } from './migration.js';

const sqlite = `
CREATE TABLE suppressions (
  key TEXT PRIMARY KEY,
  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
  groups TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX outbox_created ON outbox (created_at);
CREATE INDEX deliveries_leased ON deliveries (lease_expires_at) WHERE lease_owner IS NOT NULL;
`;

const postgres = `
CREATE TABLE suppressions (
  key TEXT PRIMARY KEY,
  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
  groups TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX outbox_created ON outbox (created_at);
CREATE INDEX deliveries_leased ON deliveries (lease_expires_at) WHERE lease_owner IS NOT NULL;
`;

/** Suppression list; outbox index by creation time. */
export const m005Retention: Migration = { id: 5, name: 'retention', sql: { sqlite, postgres } };
