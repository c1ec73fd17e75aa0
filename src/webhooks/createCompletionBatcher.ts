/**
 * @module Group commit of attempt results: while one `completeAttempts` transaction runs, the
 * results that finish meanwhile queue up and go together in the next one. Under load this turns
 * one transaction per delivery into one per batch (the main cost on SQLite and PostgreSQL alike)
 * without a timer that would add latency when idle.
 */
import type { CompleteAttemptInput } from '../store/index.js';

/** Options of {@link createCompletionBatcher}. */
export interface CompletionBatcherOptions {
  /** Records one batch; resolves with, per input, whether it was applied (see `completeAttempts`). */
  complete(batch: readonly CompleteAttemptInput[]): Promise<boolean[]>;
  /** Told about a failed batch (it is retried after `retryDelayMs`). */
  onError?(error: unknown, batch: readonly CompleteAttemptInput[]): void;
  /** Told about results dropped by the lease check (another worker had taken the delivery over). */
  onFenced?(input: CompleteAttemptInput): void;
  /** Wait before retrying a failed batch (default 250 ms). */
  retryDelayMs?: number;
  /** Largest batch (default 500). */
  maxBatch?: number;
  /**
   * How long the first result of a batch waits for company before the commit starts (default 0:
   * at once). A few ms under load turn many tiny transactions into a few larger ones; the cost is
   * only that the log is written that much later (the POST has already happened).
   */
  lingerMs?: number;
  /**
   * The linger ends early once this many results wait (default `maxBatch`): under load a batch
   * commits as soon as it is full enough, so `lingerMs` only bounds the wait when traffic is light.
   */
  lingerBatch?: number;
}

/** Queues results and commits them in batches. */
export interface CompletionBatcher {
  /** Queues one result; resolves once committed (true) or fenced out (false). */
  add(input: CompleteAttemptInput): Promise<boolean>;
  /** Queues one result without a promise to wait on (the dispatcher's hot path). */
  push(input: CompleteAttemptInput): void;
  /**
   * Resolves when everything queued so far is committed. With `giveUpAfter` failed tries, the
   * rest is dropped: their leases expire and another attempt is made (at least once, never lost).
   */
  drain(options?: { giveUpAfter?: number }): Promise<void>;
  /**
   * Ends a linger now: the caller knows no more results are coming soon (e.g. nothing is in
   * flight), so waiting for company would only delay the log.
   */
  hurry(): void;
  /** Results waiting or being committed. */
  readonly size: number;
}

const ignore = () => undefined;

interface Entry {
  input: CompleteAttemptInput;
  resolve(applied: boolean): void;
}

/** Creates a batcher over `completeAttempts`. */
export function createCompletionBatcher(options: CompletionBatcherOptions): CompletionBatcher {
  const retryDelayMs = options.retryDelayMs ?? 250;
  const maxBatch = options.maxBatch ?? 500;
  const lingerMs = options.lingerMs ?? 0;
  const lingerBatch = Math.max(1, Math.min(options.lingerBatch ?? maxBatch, maxBatch));
  /** Ends the current linger early (set while lingering). */
  let endLinger: (() => void) | undefined;
  let queue: Entry[] = [];
  let inProgress = 0;
  let flushing: Promise<void> | undefined;
  let failures = 0;
  let giveUpAfter = Number.POSITIVE_INFINITY;

  /** Set by `drain`: no lingering until it returns. */
  let draining = false;

  /** Waits up to `lingerMs` for `lingerBatch` results (or `hurry`, `drain`). */
  function lingerWait(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, lingerMs);
      function done() {
        clearTimeout(timer);
        endLinger = undefined;
        resolve();
      }
      endLinger = done;
    });
  }

  /** Commits one batch (or puts it back after a failure). */
  async function flushOne(): Promise<void> {
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(batch.length);
    inProgress = batch.length;
    try {
      const applied = await options.complete(batch.map((entry) => entry.input));
      failures = 0;
      batch.forEach((entry, index) => {
        const ok = applied[index] ?? false;
        if (!ok) options.onFenced?.(entry.input);
        entry.resolve(ok);
      });
    } catch (error) {
      failures += 1;
      options.onError?.(
        error,
        batch.map((entry) => entry.input),
      );
      if (failures >= giveUpAfter) {
        for (const entry of [...batch, ...queue]) entry.resolve(false);
        queue = [];
      } else {
        // Put the batch back in front and try again shortly (the store may be restarting).
        queue = [...batch, ...queue];
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
      }
    } finally {
      inProgress = 0;
    }
  }

  function kick(linger: boolean): Promise<void> {
    flushing ??= (async () => {
      // Every batch lingers, not only the first: results finishing during a commit wait for
      // company (or a `hurry`) instead of following at once in a transaction of their own.
      for (let first = true; queue.length > 0; first = false) {
        if ((linger || !first) && !draining && lingerMs > 0 && queue.length < lingerBatch) {
          await lingerWait();
        }
        await flushOne();
      }
    })().finally(() => {
      flushing = undefined;
      // A result queued after the last batch was taken, while this flush was finishing.
      if (queue.length > 0) void kick(true);
    });
    return flushing;
  }

  function enqueue(entry: Entry): void {
    queue.push(entry);
    if (endLinger && queue.length >= lingerBatch) endLinger();
    else if (!flushing) void kick(true);
  }

  return {
    add(input) {
      return new Promise<boolean>((resolve) => enqueue({ input, resolve }));
    },
    push(input) {
      enqueue({ input, resolve: ignore });
    },
    async drain(drainOptions = {}) {
      giveUpAfter = drainOptions.giveUpAfter ?? Number.POSITIVE_INFINITY;
      draining = true;
      try {
        endLinger?.();
        while (flushing || queue.length > 0) await kick(false);
      } finally {
        draining = false;
        giveUpAfter = Number.POSITIVE_INFINITY;
      }
    },
    hurry() {
      endLinger?.();
    },
    get size() {
      return queue.length + inProgress;
    },
  };
}
