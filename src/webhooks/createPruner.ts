/**
 * @module The retention job: a small loop started beside the dispatcher that deletes finished
 * webhook history older than the retention period, one short transaction at a time with a pause
 * between, then (SQLite) gives the freed pages back so the file stops growing.
 *
 * It never restructures or waits on the dispatcher: the store verb it calls (`pruneHistory`) is one
 * bounded transaction, so dispatch and one-clicks interleave with it; on PostgreSQL the verb tries
 * an advisory lock first, so with many processes only one prunes at a time and the others skip.
 *
 * The dashboard's hourly rollups (counts per hour and endpoint, no contact data) are pruned once
 * per pass, kept for the retention period but never less than `statsKeepDays`: the dashboard's
 * longest hourly window (168 hours) stays whole even with a retention of a day or two, and the
 * rollups never outgrow the history they summarise by more than a few days of small rows.
 *
 * Each pass also does the two other jobs of keeping the history right over the years: it finishes
 * erasure scrubs that nobody has moved for `resumeScrubsAfterMs` (the process erasing died between
 * pages; the scrub is recorded with the contact's deletion, see `finishScrub`), first, since an
 * erased address must not wait behind routine pruning; and it prunes the audit log past its own
 * period (`auditRetentionDays`, a year by default: it answers "who changed what", for longer than
 * the webhook history, and its rows carry source addresses, so it is not kept forever either).
 */
import { finishScrub, type PruneHistoryResult, type Store } from '../store/index.js';
import type { DispatcherLogger } from './createDispatcher.js';

/** Milliseconds in a day. */
const dayMs = 86_400_000;

/** Least days of hourly rollups kept: the dashboard's longest window (7 days) plus its partial hour. */
export const statsKeepDays = 8;

/** Options of `createPruner`. */
export interface PrunerOptions {
  store: Pick<
    Store,
    | 'pruneHistory'
    | 'reclaimSpace'
    | 'pruneStats'
    | 'pruneAudit'
    | 'listErasureScrubs'
    | 'scrubHistory'
    | 'databaseMaintenance'
  >;
  /** The retention period in days, read at the start of every pass. */
  retentionDays: () => Promise<number> | number;
  /** Days the audit log is kept (`UNSUB_AUDIT_RETENTION_DAYS`); 0 or unset keeps it for ever. */
  auditRetentionDays?: number;
  /**
   * An erasure scrub not moved for this long is finished by the pass (default 60 s; a live erasure
   * moves its scrub every few ms, so the job does not race it — and if it did, pages take turns).
   */
  resumeScrubsAfterMs?: number;
  /** The clock (ms); default `Date.now`. */
  now?: () => number;
  /** Rows per transaction (default 1,000). */
  batch?: number;
  /** Pause between transactions, ms (default 20): dispatch and one-clicks get the database in between. */
  pauseMs?: number;
  /** Time between passes, ms (default: a tenth of the retention period, between 1 s and 60 s). */
  intervalMs?: number;
  /** Free pages given back per call after a pass (SQLite; default 2,000, i.e. 8 MB of 4 KB pages). */
  reclaimPages?: number;
  logger?: Pick<DispatcherLogger, 'info' | 'warn' | 'error'>;
  /** Waits `ms` (injectable for tests). */
  sleep?: (ms: number) => Promise<void>;
}

/** Totals of one pass. */
export interface PruneTotals {
  events: number;
  deliveries: number;
  attempts: number;
  /** Pages given back to the file system. */
  pages: number;
  /** Audit log entries past their period, deleted. */
  audit: number;
  /** Interrupted erasure scrubs finished. */
  scrubs: number;
  /** False when another process held the pruning lock and this pass did nothing. */
  ran: boolean;
}

/** The running job. */
export interface Pruner {
  start(): void;
  /** Stops after the transaction in progress. */
  stop(): Promise<void>;
  /** One whole pass now (tests, benchmarks, `unsub db prune`-like callers). */
  runOnce(): Promise<PruneTotals>;
}

/** Builds the retention job; nothing runs until `start()`. */
export function createPruner(options: PrunerOptions): Pruner {
  const { store } = options;
  const now = options.now ?? Date.now;
  const batch = options.batch ?? 1_000;
  const pauseMs = options.pauseMs ?? 20;
  const reclaimPages = options.reclaimPages ?? 2_000;
  const resumeScrubsAfterMs = options.resumeScrubsAfterMs ?? 60_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let running = false;
  let loop: Promise<void> | undefined;
  let wakeTimer: ReturnType<typeof setTimeout> | undefined;
  let wakeUp: (() => void) | undefined;

  /**
   * Once per start: says so when PostgreSQL's autovacuum does not look after unsub's tables. This
   * job deletes rows but leaves their space and the tables' statistics to autovacuum; without it
   * the tables only grow and the dispatcher's statements keep plans made on nearly empty tables.
   */
  const warnWithoutAutovacuum = async () => {
    const { autovacuum } = await store.databaseMaintenance().catch(() => ({ autovacuum: null }));
    if (autovacuum !== false) return;
    options.logger?.warn(
      'PostgreSQL runs without autovacuum for these tables: the space of pruned rows is never reused, and ' +
        "statistics are never refreshed, so the dispatcher's statements keep the plans they made when the tables " +
        'were small (a look-up of a few deliveries becomes a read of the whole table as it grows). Turn autovacuum ' +
        'on, or run `unsub db vacuum` on a schedule (it vacuums and analyses them).',
    );
  };

  /** Whether a started job was stopped (`runOnce` alone is never stopped). */
  const stopped = () => loop !== undefined && !running;

  /** Finishes the erasure scrubs nobody has moved lately; answers how many ended. */
  const resumeScrubs = async (): Promise<number> => {
    let finished = 0;
    for (const scrub of await store.listErasureScrubs()) {
      if (stopped()) break;
      if (scrub.updatedAt > now() - resumeScrubsAfterMs) continue;
      const { total, done } = await finishScrub(store, scrub.id, {
        pageSize: batch * 5,
        now,
        pause: () => sleep(pauseMs),
        keepGoing: () => !stopped(),
      });
      if (!done) break;
      finished += 1;
      options.logger?.info(
        `erasure: finished the interrupted history scrub of contact ${scrub.contactId}: ${total.events} events, ` +
          `${total.deliveries} deliveries, ${total.attempts} attempts deleted, ${total.excerpts} excerpts cleared`,
      );
    }
    return finished;
  };

  const pass = async (): Promise<PruneTotals> => {
    const totals: PruneTotals = {
      events: 0,
      deliveries: 0,
      attempts: 0,
      pages: 0,
      audit: 0,
      scrubs: 0,
      ran: true,
    };
    totals.scrubs = await resumeScrubs();
    const days = await options.retentionDays();
    let afterEventId = 0;
    for (;;) {
      const before = now() - days * dayMs;
      const step: PruneHistoryResult = await store.pruneHistory({ before, limit: batch, afterEventId });
      if (!step.locked) return { ...totals, ran: false };
      totals.events += step.events;
      totals.deliveries += step.deliveries;
      totals.attempts += step.attempts;
      // The pass ends when the event cursor reached the cut-off and no final delivery was left.
      if (step.nextAfterEventId === null && step.deliveries < batch) break;
      afterEventId = step.nextAfterEventId ?? 0;
      if (stopped()) return totals;
      await sleep(pauseMs);
    }
    await store.pruneStats({ before: now() - Math.max(days, statsKeepDays) * dayMs });
    const auditDays = options.auditRetentionDays ?? 0;
    while (auditDays > 0 && !stopped()) {
      const deleted = await store.pruneAudit({ before: now() - auditDays * dayMs, limit: batch });
      totals.audit += deleted;
      if (deleted < batch) break;
      await sleep(pauseMs);
    }
    if (totals.events + totals.deliveries + totals.audit > 0) {
      for (;;) {
        const pages = await store.reclaimSpace(reclaimPages);
        totals.pages += pages;
        if (pages < reclaimPages) break;
        await sleep(pauseMs);
      }
    }
    return totals;
  };

  const intervalFor = async () => {
    if (options.intervalMs !== undefined) return options.intervalMs;
    const days = await options.retentionDays();
    return Math.min(60_000, Math.max(1_000, (days * dayMs) / 10));
  };

  return {
    start() {
      if (running) return;
      running = true;
      loop = (async () => {
        await warnWithoutAutovacuum();
        while (running) {
          try {
            const totals = await pass();
            if (totals.events + totals.deliveries + totals.audit > 0) {
              options.logger?.info(
                `retention: pruned ${totals.events} events, ${totals.deliveries} deliveries, ${totals.attempts} attempts, ` +
                  `${totals.audit} audit log entries`,
              );
            }
          } catch (error) {
            options.logger?.error('retention: pruning failed; trying again later', error);
          }
          if (!running) break;
          const wait = await intervalFor().catch(() => 60_000);
          await new Promise<void>((resolve) => {
            wakeUp = resolve;
            wakeTimer = setTimeout(resolve, wait);
          });
        }
      })();
    },
    async stop() {
      running = false;
      if (wakeTimer) clearTimeout(wakeTimer);
      wakeUp?.();
      await loop;
      loop = undefined;
    },
    runOnce: pass,
  };
}
