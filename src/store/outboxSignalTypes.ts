/**
 * @module The outbox signal: a store tells its users that an event was appended and committed,
 * possibly by another process. On PostgreSQL a trigger on `outbox` NOTIFYs at commit (migration 9)
 * and one LISTEN connection per store hears it; SQLite has one dispatching process and no signal
 * (its dispatcher hears the in-process event bus). The signal is a hint that makes a worker look
 * now: workers keep polling, so a missed or late signal delays work but loses none.
 */

/** Whether (and how far) the outbox signal reaches: backend data, not a branch in the callers. */
export type OutboxSignalReach = 'none' | 'all-processes';

/** Being told about new outbox events. */
export interface OutboxSignalStore {
  /**
   * Calls `listener` (with no arguments, possibly coalesced) after a transaction that appended
   * outbox events commits in any process using this database and schema; also once after the
   * signal's connection came back from a drop (events committed meanwhile were not announced).
   * Returns the function that stops listening. A no-op where `outboxSignal` is `'none'`.
   */
  onOutboxAppended(listener: () => void): () => void;
  /** How far `onOutboxAppended` reaches on this backend. */
  readonly outboxSignal: OutboxSignalReach;
}
