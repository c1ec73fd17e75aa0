/**
 * @module The verb groups of retention and erasure: pruning old history in small transactions,
 * giving freed pages back, erasing a contact with every copy of its personal data, and the
 * suppression list that keeps an erased person's unsubscribes without their address.
 *
 * Terms, defined once:
 * - **history** — outbox events whose deliveries are all final, and final deliveries (succeeded,
 *   failed, disabled) with their attempts. Pending and in-flight deliveries, undispatched events,
 *   contacts, memberships and settings are never history.
 * - **suppression** — a keyed hash of (channel, normalised address) with the groups (or `all`) an
 *   erased person had left on that channel. Creating that address again starts it unsubscribed.
 */
import type { Channel } from './types.js';

/** Input of `pruneHistory`: one small transaction's worth. */
export interface PruneHistoryInput {
  /** History created before this time (ms) is deleted. */
  before: number;
  /** Most rows of each kind (events, deliveries) deleted in this call (attempts follow their deliveries). */
  limit: number;
  /** Events with an id at most this were examined by earlier calls of this pass (a cursor; 0 to start). */
  afterEventId?: number;
}

/** What one `pruneHistory` call did. */
export interface PruneHistoryResult {
  events: number;
  deliveries: number;
  attempts: number;
  /** The cursor for the next call of this pass; null when the pass reached the cut-off. */
  nextAfterEventId: number | null;
  /** False when another process holds the pruning lock (PostgreSQL): nothing was done. */
  locked: boolean;
}

/** The groups of one channel an erased person had left: ids, or every group of the channel. */
export type SuppressedGroups = number[] | 'all';

/** One suppression list entry. */
export interface Suppression {
  /** The keyed hash (base64url) of channel and normalised address. */
  key: string;
  channel: Channel;
  groups: SuppressedGroups;
  createdAt: number;
  updatedAt: number;
}

/** Input of `eraseContact`. */
export interface EraseContactInput {
  contactId: number;
  at: number;
  /**
   * The suppression key of an address on a channel (pure and synchronous: it runs inside the
   * transaction, on the memberships read there, so an unsubscribe racing the erasure is kept).
   */
  suppressionKey: (channel: Channel, address: string) => string;
}

/** What `eraseContact` removed, and the scrub of the history it recorded. */
export interface ErasedContact {
  contactId: number;
  memberships: number;
  /** Suppression entries written or merged (one per channel with an unsubscribe). */
  suppressions: Suppression[];
  /**
   * The history scrub recorded in the same transaction (`erasure_scrubs`): drive it with
   * `scrubHistory` until `done`. The strings it looks for (the person's e-mail and phone as they
   * appear in event bodies) stay in the store until its last page, never longer.
   */
  scrubId: number;
}

/** Input of `scrubHistory`: one page of a recorded scrub. */
export interface ScrubHistoryInput {
  /** The scrub (`ErasedContact.scrubId`, `listErasureScrubs`). */
  scrubId: number;
  /** Rows of the outbox and of the attempt log examined in this call. */
  scanLimit: number;
  /** The clock (ms), for the scrub's `updatedAt`. */
  at: number;
}

/** Counts of what a scrub removed (one page, or the whole scrub so far). */
export interface ScrubCounts {
  /** Outbox events that carried a needle, deleted with their deliveries and attempts. */
  events: number;
  deliveries: number;
  /** Of those deliveries, how many were still pending or in flight (cancelled). */
  cancelled: number;
  attempts: number;
  /** Attempt records of other events whose response excerpt carried a needle (excerpt cleared). */
  excerpts: number;
}

/** What one `scrubHistory` call removed, and whether the scrub is over. */
export interface ScrubHistoryResult extends ScrubCounts {
  /** The whole scrub's counts so far, this page included (a resumed scrub counts earlier pages). */
  total: ScrubCounts;
  /**
   * True once the whole history was scanned (the scrub's row is gone with this page), or when
   * there is no such scrub (another process finished it).
   */
  done: boolean;
}

/** A scrub in progress, as `listErasureScrubs` shows it (never its needles). */
export interface ErasureScrub {
  id: number;
  contactId: number;
  createdAt: number;
  /** When its last page committed (or it was recorded). */
  updatedAt: number;
}

/** See {@link RetentionStore.databaseMaintenance}. */
export interface DatabaseMaintenance {
  /**
   * False when PostgreSQL's autovacuum does not look after unsub's hot tables: their dead rows are
   * never cleaned up and their statistics never refreshed, so each pooled connection keeps the
   * plans it made when the tables were small (a look-up of deliveries by id stays a read of the
   * whole table as it grows). Null where it does not apply (SQLite).
   */
  autovacuum: boolean | null;
}

/** Retention: pruning and reclaiming space. */
export interface RetentionStore {
  /**
   * Deletes up to `limit` final deliveries (with their attempts) and `limit` events whose
   * deliveries are all gone, created before `before`, in ONE short transaction. Never touches a
   * pending or in-flight delivery or an undispatched event. On PostgreSQL only one process prunes
   * at a time (a transaction-scoped advisory lock tried first; `locked: false` when it is held).
   */
  pruneHistory(input: PruneHistoryInput): Promise<PruneHistoryResult>;
  /** Gives up to `maxPages` free pages back to the file system (SQLite); 0 where the database does it. */
  reclaimSpace(maxPages: number): Promise<number>;
  /**
   * What unsub leaves to the database's own maintenance (one read of the server's settings): on
   * PostgreSQL, whether autovacuum runs for its tables (`autovacuum` and `track_counts` on, not
   * turned off on `outbox` or `deliveries`); null on SQLite, where the retention job reclaims
   * pages itself and statements are planned afresh from the file.
   */
  databaseMaintenance(): Promise<DatabaseMaintenance>;
  /**
   * Deletes the dashboard's hourly rollup rows of hours that ended before `before` (ms); answers
   * how many rows went. The rollups hold counts per hour and endpoint, nothing about a contact,
   * so erasure leaves them alone; the pruner keeps them at least as long as the dashboard's
   * longest window (see `createPruner`).
   */
  pruneStats(input: { before: number }): Promise<number>;
  /**
   * Deletes up to `limit` audit log entries older than `before` (ms), oldest first, in one short
   * transaction; answers how many went (fewer than `limit`: none older are left).
   */
  pruneAudit(input: { before: number; limit: number }): Promise<number>;
}

/** Erasure and the suppression list. */
export interface ErasureStore {
  /**
   * In ONE transaction: reads the contact and its memberships, merges its unsubscribes into the
   * suppression list (keyed by `suppressionKey`), deletes the contact and its memberships.
   * Records the history scrub (`erasure_scrubs`) in the same transaction. Undefined when there is
   * no such contact. Follow with `scrubHistory` until `done`.
   */
  eraseContact(input: EraseContactInput): Promise<ErasedContact | undefined>;
  /**
   * One page of a recorded history scrub (see `ScrubHistoryInput`), in one small transaction that
   * also moves the scrub's cursors, so a scrub resumed by anyone goes on where the last committed
   * page ended. Two callers driving one scrub take turns (its row is locked) and do no harm.
   */
  scrubHistory(input: ScrubHistoryInput): Promise<ScrubHistoryResult>;
  /** Scrubs in progress, oldest first (resumed by the retention job when nobody moves them). */
  listErasureScrubs(): Promise<ErasureScrub[]>;
  /** The suppression entries among `keys`. */
  findSuppressions(keys: readonly string[]): Promise<Suppression[]>;
}
