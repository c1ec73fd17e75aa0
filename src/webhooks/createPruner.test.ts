/**
 * @module The retention job's loop over a scripted store: small steps until the pass is done, the
 * cut-off from the retention read at each pass, reclaiming only after deletions, a held lock ends
 * the pass, the stats rollups' cut-off once per pass, the audit log's own period, interrupted
 * erasure scrubs finished first, and start/stop.
 */
import { expect, test } from 'vitest';
import type {
  ErasureScrub,
  PruneHistoryInput,
  PruneHistoryResult,
  ScrubHistoryInput,
  ScrubHistoryResult,
} from '../store/index.js';
import { createPruner, statsKeepDays } from './createPruner.js';

const day = 86_400_000;

const noCounts = { events: 0, deliveries: 0, cancelled: 0, attempts: 0, excerpts: 0 };

/** A store whose `pruneHistory` (and audit, scrubs) answer from a script, recording every call. */
function scripted(
  steps: Partial<PruneHistoryResult>[],
  free: number[] = [],
  more: {
    audit?: number[];
    scrubs?: ErasureScrub[];
    pagesPerScrub?: number;
    autovacuum?: boolean | null;
  } = {},
) {
  const calls: PruneHistoryInput[] = [];
  const reclaims: number[] = [];
  const statsCuts: number[] = [];
  const auditCalls: { before: number; limit: number }[] = [];
  const scrubPages: ScrubHistoryInput[] = [];
  /** Every call in order, by name (to check what comes first). */
  const order: string[] = [];
  const pagesLeft = new Map((more.scrubs ?? []).map((scrub) => [scrub.id, more.pagesPerScrub ?? 1]));
  return {
    calls,
    reclaims,
    statsCuts,
    auditCalls,
    scrubPages,
    order,
    store: {
      async databaseMaintenance() {
        return { autovacuum: more.autovacuum ?? null };
      },
      async pruneAudit(input: { before: number; limit: number }) {
        order.push('audit');
        auditCalls.push(input);
        return more.audit?.shift() ?? 0;
      },
      async listErasureScrubs() {
        return (more.scrubs ?? []).filter((scrub) => (pagesLeft.get(scrub.id) ?? 0) > 0);
      },
      async scrubHistory(input: ScrubHistoryInput): Promise<ScrubHistoryResult> {
        order.push(`scrub ${input.scrubId}`);
        scrubPages.push(input);
        const left = (pagesLeft.get(input.scrubId) ?? 0) - 1;
        pagesLeft.set(input.scrubId, left);
        const page = { ...noCounts, events: 1 };
        return { ...page, total: page, done: left <= 0 };
      },
      async pruneStats(input: { before: number }) {
        statsCuts.push(input.before);
        return 0;
      },
      async pruneHistory(input: PruneHistoryInput): Promise<PruneHistoryResult> {
        order.push('history');
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
  expect(await pruner.runOnce()).toEqual({
    events: 23,
    deliveries: 23,
    attempts: 25,
    pages: 12,
    audit: 0,
    scrubs: 0,
    ran: true,
  });
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
  expect(await pruner.runOnce()).toEqual({
    events: 0,
    deliveries: 0,
    attempts: 0,
    pages: 0,
    audit: 0,
    scrubs: 0,
    ran: false,
  });
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

test('the audit log is pruned at its own period, in batches, and reclaimed after; unset keeps it', async () => {
  const now = 1_000 * day;
  const kept = scripted([{}], [], { audit: [10] });
  await createPruner({ store: kept.store, retentionDays: () => 30, now: () => now, pauseMs: 0 }).runOnce();
  expect(kept.auditCalls).toEqual([]);

  const { store, auditCalls, reclaims } = scripted([{}], [0], { audit: [10, 10, 3] });
  const pruner = createPruner({
    store,
    retentionDays: () => 30,
    auditRetentionDays: 365,
    now: () => now,
    batch: 10,
    pauseMs: 0,
  });
  expect(await pruner.runOnce()).toMatchObject({ events: 0, audit: 23 });
  expect(auditCalls).toEqual([
    { before: now - 365 * day, limit: 10 },
    { before: now - 365 * day, limit: 10 },
    { before: now - 365 * day, limit: 10 },
  ]);
  expect(reclaims).toHaveLength(1);
});

test('interrupted erasure scrubs are finished first; one still being moved is left to its driver', async () => {
  const now = 100 * day;
  const scrubs: ErasureScrub[] = [
    { id: 1, contactId: 7, createdAt: now - day, updatedAt: now - 120_000 },
    { id: 2, contactId: 8, createdAt: now - 1_000, updatedAt: now - 1_000 },
  ];
  const { store, order, scrubPages } = scripted([{}], [], { scrubs, pagesPerScrub: 3 });
  const pruner = createPruner({ store, retentionDays: () => 30, now: () => now, batch: 10, pauseMs: 0 });
  expect(await pruner.runOnce()).toMatchObject({ scrubs: 1 });
  expect(order).toEqual(['scrub 1', 'scrub 1', 'scrub 1', 'history']);
  expect(scrubPages[0]).toEqual({ scrubId: 1, scanLimit: 50, at: now });
});

test('a started job says once when PostgreSQL runs without autovacuum, and not otherwise', async () => {
  const logged = async (autovacuum: boolean | null) => {
    const warnings: string[] = [];
    const { store, calls } = scripted([{}, {}], [], { autovacuum });
    const pruner = createPruner({
      store,
      retentionDays: () => 30,
      pauseMs: 0,
      intervalMs: 1,
      logger: { info: () => undefined, error: () => undefined, warn: (message) => warnings.push(message) },
    });
    pruner.start();
    while (calls.length < 2) await new Promise((resolve) => setTimeout(resolve, 2));
    await pruner.stop();
    return warnings;
  };
  const [warning, ...more] = await logged(false);
  expect(warning).toMatch(/without autovacuum.*unsub db vacuum/s);
  expect(more).toEqual([]);
  expect(await logged(true)).toEqual([]);
  expect(await logged(null)).toEqual([]);
});
