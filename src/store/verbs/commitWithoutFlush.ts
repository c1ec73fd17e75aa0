/**
 * @module A condition that makes the statement it is part of commit without waiting for its WAL to
 * reach the disk (PostgreSQL, `synchronous_commit = off` for that statement's own transaction).
 *
 * For the worker's bookkeeping only: the claim and the completion of deliveries. On the 2-core
 * development machine a WAL flush (`fdatasync`) took 3–5 ms of the committing backend, and the
 * backends' CPU per event of the store-only cycle fell from 94–110 to 70–94 µs with these two
 * statements not waiting for it (docs/postgres-dispatch.md, fourth round). What the trade costs, under the dispatcher's at-least-once contract: a crash of
 * the PostgreSQL server (not of a worker) can lose the last few hundred milliseconds of these
 * commits — never an event (its append stays synchronous), never a fan-out (it creates the
 * `webhook-id` a receiver deduplicates by, so it stays synchronous too), and always a suffix: WAL is
 * replayed in order, and any synchronous commit after them (the next fan-out, an append) flushes
 * them. A lost completion leaves its delivery pending with an expired lease, so it is sent again
 * with the same `webhook-id` and `unsub-event-seq`; a lost claim is a lease that never was. An
 * ordered delivery whose completion is lost goes again before the next of its contact (that one's
 * claim or completion, later in the WAL, is lost with it).
 *
 * `set_config(…, true)` lasts until the end of the transaction, and the transaction of a statement
 * sent on its own ends after the statement with its commit, which reads the setting before it is
 * reset; as an InitPlan the sub-select runs once, whatever the rows (and not at all when the planner
 * proves that no row can match: then the statement writes nothing, and its commit has nothing to
 * flush). No BEGIN, no `SET LOCAL` round trip. `commitWithoutFlush.test.ts` checks that the setting
 * ends with the statement's transaction.
 */
export const commitWithoutFlush = "(SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL";
