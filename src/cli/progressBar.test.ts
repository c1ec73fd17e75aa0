/** @module Tests of the progress bar: silent off a terminal, count/rate/ETA on one, throttled by an injected clock. */
import { describe, expect, it } from 'vitest';
import { createProgressBar, formatProgress } from './progressBar.js';

describe('progress bar', () => {
  it('formats count, percent, rate and ETA', () => {
    expect(formatProgress(250, 1000, 500, 10)).toBe('[###.......] 250/1000 25% 500/s ETA 0:02');
    expect(formatProgress(0, 1000, 0, 4)).toBe('[....] 0/1000 0% 0/s ETA --:--');
    expect(formatProgress(10, 10, 2000, 4)).toBe('[####] 10/10 100% 5/s ETA 0:00');
    expect(formatProgress(1, 100_000, 1000, 4)).toContain('ETA 27:46:39');
  });

  it('draws nothing when the stream is not a terminal', () => {
    const written: string[] = [];
    const bar = createProgressBar({ total: 3, stream: { isTTY: false, write: (t) => written.push(t) } });
    bar.tick();
    bar.done();
    expect(written).toEqual([]);
  });

  it('redraws at most every 100 ms of the injected clock, always at the end', () => {
    const written: string[] = [];
    let now = 0;
    const bar = createProgressBar({
      total: 4,
      stream: { isTTY: true, write: (t) => written.push(t) },
      now: () => now,
      label: 'rendering',
    });
    bar.tick(); // first draw
    now = 50;
    bar.tick(); // throttled
    now = 200;
    bar.tick(); // drawn
    bar.tick(); // last item: drawn
    bar.done();
    expect(written.filter((t) => t.startsWith('\r'))).toHaveLength(4);
    expect(written.at(-2)).toContain('rendering [########################] 4/4 100% 20/s ETA 0:00');
    expect(written.at(-1)).toBe('\n');
  });
});
