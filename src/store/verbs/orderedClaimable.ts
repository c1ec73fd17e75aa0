/** @module The ordering rule of a claim as SQL (migration 3's partial indexes serve it). */

/**
 * The ordering rule of a claim, on a candidate row `d`: no key, or no earlier event of its key
 * waiting for fan-out and no earlier delivery of its key to the same endpoint still pending —
 * leased by any worker or waiting for a retry. Each NOT EXISTS is one probe of a partial index
 * (migration 3). Both read the statement's snapshot: an earlier delivery whose completion is not
 * committed yet still counts as pending, so the later one waits for that COMMIT.
 */
export const orderedClaimable = `(d.ordering_key IS NULL OR (
     NOT EXISTS (SELECT 1 FROM deliveries e
       WHERE e.endpoint_id = d.endpoint_id AND e.ordering_key = d.ordering_key AND e.ordering_key IS NOT NULL
         AND e.status = 'pending' AND e.event_id < d.event_id)
     AND NOT EXISTS (SELECT 1 FROM outbox o
       WHERE o.ordering_key = d.ordering_key AND o.dispatched_at IS NULL AND o.id < d.event_id)))`;
