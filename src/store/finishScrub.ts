/**
 * @module `finishScrub`: drives a recorded erasure scrub (`erasure_scrubs`) page by page to its
 * end. The erasure command runs it right after deleting the contact; the retention job runs it for
 * a scrub nobody has moved for a while (its process died between pages). Pages are idempotent and
 * move the scrub's own cursors, so either may pick up where the other stopped.
 */
import type { ErasureStore, ScrubCounts } from './retentionTypes.js';

/** Options of {@link finishScrub}. */
export interface FinishScrubOptions {
  /** Outbox and attempt rows examined per page (one short transaction each). */
  pageSize: number;
  /** The clock (ms). */
  now: () => number;
  /** Waits between pages (the retention job leaves the database to dispatch in between). */
  pause?: () => Promise<void>;
  /** Checked before each page: false stops early (the scrub stays recorded, to be resumed). */
  keepGoing?: () => boolean;
}

/** Scrubs to the end (or until `keepGoing` says stop); answers the scrub's whole counts and whether it ended. */
export async function finishScrub(
  store: Pick<ErasureStore, 'scrubHistory'>,
  scrubId: number,
  options: FinishScrubOptions,
): Promise<{ total: ScrubCounts; done: boolean }> {
  let total: ScrubCounts = { events: 0, deliveries: 0, cancelled: 0, attempts: 0, excerpts: 0 };
  for (let first = true; ; first = false) {
    if (!first) {
      if (options.keepGoing && !options.keepGoing()) return { total, done: false };
      await options.pause?.();
    }
    const page = await store.scrubHistory({ scrubId, scanLimit: options.pageSize, at: options.now() });
    total = page.total;
    if (page.done) return { total, done: true };
  }
}
