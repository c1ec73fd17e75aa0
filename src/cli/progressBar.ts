/**
 * @module A one-line progress bar (count, percent, rate per second, ETA) for long CLI batches. It
 * draws only on a terminal, so piped or logged stderr stays clean.
 */

/** Where the bar draws: a stream with `isTTY` (process.stderr in the CLI). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

/** A running progress bar. */
export interface ProgressBar {
  /** Counts `count` more items done; redraws at most every 100 ms (and always at the end). */
  tick(count?: number): void;
  /** Draws the final state and ends the line. */
  done(): void;
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  const hours = Math.floor(minutes / 60);
  const mm = String(minutes % 60).padStart(hours > 0 ? 2 : 1, '0');
  const ss = String(whole % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** The text of the bar for `done` of `total` after `elapsedMs`. */
export function formatProgress(done: number, total: number, elapsedMs: number, width = 24): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * width);
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const eta = rate > 0 ? (total - done) / rate : Infinity;
  return (
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ` +
    `${Math.floor(fraction * 100)}% ${Math.round(rate)}/s ETA ${done >= total ? '0:00' : clock(eta)}`
  );
}

/** A bar over `total` items on `stream`; a no-op when the stream is not a terminal. */
export function createProgressBar(options: {
  total: number;
  stream: ProgressStream;
  now?: () => number;
  label?: string;
}): ProgressBar {
  const { total, stream } = options;
  if (!stream.isTTY) return { tick() {}, done() {} };
  const now = options.now ?? Date.now;
  const label = options.label ? `${options.label} ` : '';
  const started = now();
  let done = 0;
  let drawnAt = -Infinity;
  const draw = () => {
    drawnAt = now();
    stream.write(`\r${label}${formatProgress(done, total, drawnAt - started)}\u001b[K`);
  };
  return {
    tick(count = 1) {
      done += count;
      if (done >= total || now() - drawnAt >= 100) draw();
    },
    done() {
      draw();
      stream.write('\n');
    },
  };
}
