/**
 * @module The store as a bench's dispatcher sees it, counting the successful attempts whose records
 * committed (`completeAttempts` resolves after the COMMIT): a round's end is known the moment its
 * last record is durable, without polling a COUNT over the growing table from the measured process.
 * Used by `bench:dispatch`, `bench:growth` and the store-only cycle (`graphileCycle.ts`).
 */
import type { Store } from '../src/store/index.js';

/** Wraps `store`; `untilRecorded(n)` resolves with the time (ms) the n-th success was committed. */
export function countingRecords(store: Store) {
  let recorded = 0;
  let waiting: { target: number; resolve: (at: number) => void } | undefined;
  const counting: Store = {
    ...store,
    async completeAttempts(results) {
      const applied = await store.completeAttempts(results);
      results.forEach((result, index) => {
        if (applied[index] && result.outcome === 'succeeded') recorded += 1;
      });
      if (waiting && recorded >= waiting.target) {
        waiting.resolve(performance.now());
        waiting = undefined;
      }
      return applied;
    },
  };
  return {
    counting,
    /** Successes committed so far. */
    recorded: () => recorded,
    /** Resolves with the time the `target`-th success was committed (at once when it was). */
    untilRecorded: (target: number) =>
      recorded >= target
        ? Promise.resolve(performance.now())
        : new Promise<number>((resolve) => (waiting = { target, resolve })),
  };
}
