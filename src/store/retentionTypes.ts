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

/** What `eraseContact` removed, and what the history scrub must look for. */
export interface ErasedContact {
  contactId: number;
  memberships: number;
  /** Suppression entries written or merged (one per channel with an unsubscribe). */
  suppressions: Suppression[];
  /**
   * The strings that identify the person in stored history (their e-mail and phone as they appear
   * in event bodies), for `scrubHistory`. Returned once, never stored.
   */
  needles: string[];
}

/** Input of `scrubHistory`: one page of the outbox and of the attempt log. */
export interface ScrubHistoryInput {
  /** Case-insensitive substrings (`ann@example.com`, a phone as a JSON string `"+37120000000"`). */
  needles: readonly string[];
  /** Cursors of this pass (0 to start). */
  afterEventId: number;
  afterAttemptId: number;
  /** Rows of each table examined in this call. */
  scanLimit: number;
}

/** What one `scrubHistory` call removed. */
export interface ScrubHistoryResult {
  /** Outbox events that carried a needle, deleted with their deliveries and attempts. */
  events: number;
  deliveries: number;
  /** Of those deliveries, how many were still pending or in flight (cancelled). */
  cancelled: number;
  attempts: number;
  /** Attempt records of other events whose response excerpt carried a needle (excerpt cleared). */
  excerpts: number;
  /** Next cursors; both null when the whole history was scanned. */
  nextAfterEventId: number | null;
  nextAfterAttemptId: number | null;
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
   * Deletes the dashboard's hourly rollup rows of hours that ended before `before` (ms); answers
   * how many rows went. The rollups hold counts per hour and endpoint, nothing about a contact,
   * so erasure leaves them alone; the pruner keeps them at least as long as the dashboard's
   * longest window (see `createPruner`).
   */
  pruneStats(input: { before: number }): Promise<number>;
}

/** Erasure and the suppression list. */
export interface ErasureStore {
  /**
   * In ONE transaction: reads the contact and its memberships, merges its unsubscribes into the
   * suppression list (keyed by `suppressionKey`), deletes the contact and its memberships.
   * Undefined when there is no such contact. Follow with `scrubHistory` until both cursors are null.
   */
  eraseContact(input: EraseContactInput): Promise<ErasedContact | undefined>;
  /** One page of the history scrub (see `ScrubHistoryInput`); small transactions, never a long lock. */
  scrubHistory(input: ScrubHistoryInput): Promise<ScrubHistoryResult>;
  /** The suppression entries among `keys`. */
  findSuppressions(keys: readonly string[]): Promise<Suppression[]>;
}
