/**
 * @module Migration 3: ordered delivery per (endpoint, contact) for the events that change one
 * contact's subscriptions (`mailing group subscribe`, `mailing group unsubscribe`, `contact
 * adding`).
 *
 * - `ordering_key` (the contact id) on the outbox row, copied to each of its deliveries; NULL for
 *   every other event, which is never held (see `claimDeliveries` in `verbs/dispatchVerbs.ts`).
 * - The two indexes are partial on `ordering_key IS NOT NULL` and on the unfinished rows, so that
 *   message and WhatsApp events never enter them (their hot path maintains nothing new) and the
 *   "is an earlier one unfinished?" probes of a claim read a handful of entries:
 *   `outbox_pending_key` finds an earlier event of the contact not fanned out yet,
 *   `deliveries_pending_key` an earlier delivery of the contact to that endpoint still pending.
 */
import type { Migration } from './migration.js';

const sqlite = `
ALTER TABLE outbox ADD COLUMN ordering_key INTEGER;
ALTER TABLE deliveries ADD COLUMN ordering_key INTEGER;
CREATE INDEX outbox_pending_key ON outbox (ordering_key, id)
  WHERE dispatched_at IS NULL AND ordering_key IS NOT NULL;
CREATE INDEX deliveries_pending_key ON deliveries (endpoint_id, ordering_key, event_id)
  WHERE status = 'pending' AND ordering_key IS NOT NULL;
`;

const postgres = `
ALTER TABLE outbox ADD COLUMN ordering_key BIGINT;
ALTER TABLE deliveries ADD COLUMN ordering_key BIGINT;
CREATE INDEX outbox_pending_key ON outbox (ordering_key, id)
  WHERE dispatched_at IS NULL AND ordering_key IS NOT NULL;
CREATE INDEX deliveries_pending_key ON deliveries (endpoint_id, ordering_key, event_id)
  WHERE status = 'pending' AND ordering_key IS NOT NULL;
`;

/** The ordering key (contact id) of outbox events and deliveries, with its partial indexes. */
export const m003OrderedDelivery: Migration = { id: 3, name: 'ordered delivery', sql: { sqlite, postgres } };
