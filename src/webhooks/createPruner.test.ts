/**
 * @module The retention job's loop over a scripted store: small steps until the pass is done, the
 * cut-off from the retention read at each pass, reclaiming only after deletions, a held lock ends
 * the pass, the stats rollups' cut-off once per pass, and start/stop.
 */
import { expect, test } from 'vitest';
import type { PruneHistoryInput, PruneHistoryResult } from '../store/index.js';
import { createPruner, statsKeepDays } from './createPruner.js';

const day = 86_400_000;

/** A store whose `pruneHistory` answers from a script, recording every call. */
function scripted(steps: Partial<PruneHistoryResult>[], free: number[] = []) {
  const calls: PruneHistoryInput[] = [];
  const reclaims: number[] = [];
  const statsCuts: number[] = [];
  return {
    calls,
    reclaims,
    statsCuts,
    store: {
      async pruneStats(input: { before: number }) {
        statsCuts.push(input.before);
        return 0;
      },
      async pruneHistory(input: PruneHistoryInput): Promise<PruneHistoryResult> {
        calls.push(input);
        const step = steps.shift() ?? {};
        return { events: 0, deliveries: 0, attempts: 0, nextAfterEventId: null, locked: true, ...step };
      },
      async reclaimSpace(pages: number) {
        reclaims.push(pages);
        return free.shift() ?? 0;
      },
    },
  };
}

test('a pass steps through the cursor until done, then reclaims what it freed', async () => {
  const { store, calls, reclaims } = scripted(
    [
      { events: 10, deliveries: 10, attempts: 10, nextAfterEventId: 10 },
      { events: 10, deliveries: 10, attempts: 12, nextAfterEventId: 20 },
      { events: 3, deliveries: 3, attempts: 3, nextAfterEventId: null },
    ],
    [5, 5, 2],
  );
  const pruner = createPruner({
    store,
    retentionDays: () => 2,
    now: () => 10 * day,
    batch: 10,
    pauseMs: 0,
    reclaimPages: 5,
  });
  expect(await pruner.runOnce()).toEqual({ events: 23, deliveries: 23, attempts: 25, pages: 12, ran: true });
  expect(calls.map((call) => [call.before, call.limit, call.afterEventId])).toEqual([
    [8 * day, 10, 0],
    [8 * day, 10, 10],
    [8 * day, 10, 20],
  ]);
  expect(reclaims).toEqual([5, 5, 5]);
});

test('a full batch of deliveries means more to do even when the event cursor is done', async () => {
  const { store, calls } = scripted([
    { deliveries: 10, nextAfterEventId: null },
    { deliveries: 4, nextAfterEventId: null },
  ]);
  const pruner = createPruner({ store, retentionDays: () => 1, now: () => day, batch: 10, pauseMs: 0 });
  expect(await pruner.runOnce()).toMatchObject({ deliveries: 14 });
  expect(calls.map((call) => call.afterEventId)).toEqual([0, 0]);
});

test('another process holding the lock ends the pass; nothing deleted, nothing reclaimed', async () => {
  const { store, reclaims, statsCuts } = scripted([{ locked: false }]);
  const pruner = createPruner({ store, retentionDays: () => 30, pauseMs: 0 });
  expect(await pruner.runOnce()).toEqual({ events: 0, deliveries: 0, attempts: 0, pages: 0, ran: false });
  expect(reclaims).toEqual([]);
  expect(statsCuts).toEqual([]);
});

test('the stats rollups are cut once per pass: at the retention, but never within the dashboard window', async () => {
  const now = 100 * day;
  const short = scripted([{}]);
  await createPruner({ store: short.store, retentionDays: () => 1, now: () => now, pauseMs: 0 }).runOnce();
  expect(short.statsCuts).toEqual([now - statsKeepDays * day]);
  const long = scripted([{}]);
  await createPruner({ store: long.store, retentionDays: () => 30, now: () => now, pauseMs: 0 }).runOnce();
  expect(long.statsCuts).toEqual([now - 30 * day]);
});

test('start runs passes on the interval with the retention read each time; stop ends the loop', async () => {
  const { store, calls } = scripted([]);
  let days = 30;
  const pruner = createPruner({
    store,
    retentionDays: () => days,
    now: () => 100 * day,
    intervalMs: 5,
    pauseMs: 0,
  });
  pruner.start();
  while (calls.length < 2) await new Promise((resolve) => setTimeout(resolve, 2));
  days = 7;
  const seen = calls.length;
  while (calls.length < seen + 2) await new Promise((resolve) => setTimeout(resolve, 2));
  await pruner.stop();
  const after = calls.length;
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(calls.length).toBe(after);
  expect(calls[0]?.before).toBe(70 * day);
  expect(calls.at(-1)?.before).toBe(93 * day);
});
