/**
 * @module Migration 8: what the operator's view needs (issue 13).
 *
 * - `audit_log`: every change made through the admin API or the console — time, method, route
 *   PATTERN, status, source address and console session id. Never a body, a token or a recipient
 *   address: the route pattern (`/api/contacts/:id`) names what was changed, not the data.
 * - `membership_changes`: the history of membership state changes (the `memberships` row only keeps
 *   the latest), so the dashboard can count unsubscribes per day, group and source.
 * - Indexes for the `/api/stats/…` routes: each reads a time window of one table through an index
 *   that leads with what the query pins (the state; the endpoint) and then the time column, and
 *   covers the columns it groups by, so the table itself is not visited. The per-hour ones index
 *   the HOUR (`time / 3600000`, an expression index on both backends), so rows come out already
 *   grouped by hour and status (no sort of the window), and an hour's attempt durations come out
 *   sorted (a quantile is an OFFSET into the index). Deliveries get ONE such index, led by the
 *   endpoint: "all endpoints" is a query per endpoint (a handful), and the hot table of the
 *   dispatcher pays for one index more, not two.
 */
import type { Migration } from './migration.js';

const common = (bigint: string, identity: string) => `
CREATE TABLE audit_log (
  id ${identity},
  at ${bigint} NOT NULL,
  method TEXT NOT NULL,
  route TEXT NOT NULL,
  status INTEGER NOT NULL,
  source_address TEXT NOT NULL,
  session_id TEXT
);
CREATE TABLE membership_changes (
  id ${identity},
  at ${bigint} NOT NULL,
  contact_id INTEGER NOT NULL,
  group_id INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('subscribed', 'unsubscribed')),
  source TEXT NOT NULL
);
CREATE INDEX membership_changes_window ON membership_changes (state, at, group_id, source);
CREATE INDEX deliveries_endpoint_hour ON deliveries (endpoint_id, (updated_at / 3600000), status, attempts, updated_at);
CREATE INDEX attempts_hour ON attempts ((at / 3600000), duration_ms);
`;

const sqlite = common('INTEGER', 'INTEGER PRIMARY KEY AUTOINCREMENT');
const postgres = common('BIGINT', 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY');

/** The audit log, the membership change history and the stats indexes. */
export const m008Operations: Migration = { id: 8, name: 'operations', sql: { sqlite, postgres } };
