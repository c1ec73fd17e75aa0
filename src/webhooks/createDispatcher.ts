/**
 * @module The durable webhook dispatcher: fans outbox events out to endpoint deliveries, claims
 * due deliveries under a lease, POSTs each one signed (Standard Webhooks), and records the attempt
 * and what follows from it (done, retry at the scheduled time, failed, endpoint disabled).
 *
 * Durability comes from the store: a claim is a lease, so a worker that dies leaves deliveries
 * that become claimable when the lease expires, and the restarted worker (or another one) sends
 * them again — at least once. Throughput comes from batching: one transaction fans new events out
 * as deliveries already leased to this worker (or claims a batch that fell due), and the results
 * of a round of attempts are recorded together in one more.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Registry } from 'prom-client';
import type { EventBus } from '../events/index.js';
import {
  activeSecrets,
  type ClaimedDelivery,
  type OutboxSignalStore,
  type Store,
  type WebhooksStore,
} from '../store/index.js';
import { createAddressPolicy } from './createAddressPolicy.js';
import { createCompletionBatcher } from './createCompletionBatcher.js';
import { createDeliveryQueue } from './createDeliveryQueue.js';
import { createDispatcherMetrics, type DispatcherMetrics } from './createDispatcherMetrics.js';
import { createWebhookSender, type SendResult, type WebhookSender } from './createWebhookSender.js';
import { createEndpointHealthLog } from './endpointHealthLog.js';
import { decideAttempt } from './decideAttempt.js';
import { retrySchedule } from './nextAttemptAt.js';
import { eventSequenceHeaders } from './eventSequenceHeaders.js';
import { signWebhook } from './signWebhook.js';

/** Where the dispatcher reports (the server's log fits). */
export interface DispatcherLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

/** Options of {@link createDispatcher}. */
export interface DispatcherOptions {
  /** The store (its webhook verbs; its outbox signal, when it has one, wakes the loop). */
  store: WebhooksStore & Partial<OutboxSignalStore> & Partial<Pick<Store, 'capabilities'>>;
  /** The HTTP sender; by default one is created from `allow`/`timeoutMs` and closed by `stop()`. */
  sender?: WebhookSender;
  /** CIDR ranges the default sender may call despite the SSRF guard (`UNSUB_WEBHOOK_ALLOW`). */
  allow?: readonly string[];
  /** Deadline of one attempt for the default sender (default 15 s). */
  timeoutMs?: number;
  /** Most attempts in flight in this process (default 64). */
  concurrency?: number;
  /** Most attempts in flight per endpoint in this process (default 8). */
  perEndpointConcurrency?: number;
  /**
   * Lease length (default `holdRounds` timeouts plus 1 s: a held delivery waits at most
   * `holdRounds - 1` rounds of attempts, none outliving its deadline, then makes its own; so a live
   * worker keeps its lease).
   */
  leaseMs?: number;
  /** How often to look for work when idle and not woken (default 250 ms). */
  pollMs?: number;
  /** Outbox events fanned out per transaction (default 500). */
  fanOutBatch?: number;
  /**
   * Fan-outs this worker may have in flight at once (default 2 on a store several processes share,
   * PostgreSQL; 1 on SQLite, whose one writer thread would only queue the second). While events
   * keep coming, the next page is asked for as soon as a round of slots has freed, even if the
   * previous page has not come back yet: a page's trip through the store must not leave the slots
   * idle (see `tick`).
   */
  fanOutsInFlight?: number;
  /** Retry delays (`retrySchedule`, or a compressed one from `UNSUB_RETRY_SCHEDULE`). */
  schedule?: readonly number[];
  /** The 5-day rule's window (compressed in tests). */
  disableAfterMs?: number;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
  /** Randomness for jitter (default `Math.random`). */
  random?: () => number;
  /**
   * This worker's id (default host, pid and a random part). Each claim leases as `<owner>#<n>`, so
   * that even this same worker, re-claiming a delivery whose lease it let expire, fences off its
   * own stale result; the attempt log's `worker` shows that lease id.
   */
  owner?: string;
  logger?: DispatcherLogger;
  /** Metrics, or a registry to create them in (default: a new registry). */
  metrics?: DispatcherMetrics | Registry;
  /** Wake up at once when a committed event is announced here (low latency without fast polling). */
  bus?: Pick<EventBus, 'on'>;
}

/** What one {@link Dispatcher.runOnce} did. */
export interface DispatchRound {
  /** Outbox events fanned out. */
  fannedOut: number;
  /** Deliveries attempted (all finished and recorded when `runOnce` resolves). */
  attempted: number;
}

/** A running (or stoppable) dispatcher. */
export interface Dispatcher {
  /** The lease owner id of this worker. */
  readonly owner: string;
  readonly metrics: DispatcherMetrics;
  /** Starts the loop in the background (idempotent). */
  start(): void;
  /** Stops taking work, lets attempts in flight finish and records them, closes its own sender. */
  stop(): Promise<void>;
  /** Looks for work now (e.g. an event was just committed). */
  wake(): void;
  /** One round without the loop (tests, tools): fan out, claim, send, record. Not while started. */
  runOnce(): Promise<DispatchRound>;
}

const silentLogger: DispatcherLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * Rounds of attempts (the caps) the loop holds claimed: one in flight, the rest waiting to start
 * the moment a slot frees. The next claim goes out when a round has finished, so the waiting ones
 * cover its trip to the store (on SQLite, another thread's queue), which a single waiting round
 * did not always do (measured: 15-20 % of the time nothing in flight, ~7 % less throughput).
 */
const holdRounds = 4;

/** A default owner id: readable in the attempt log, unique per process start. */
function defaultOwner(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** Creates a dispatcher; call `start()` to run it. */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { store } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? silentLogger;
  const health = createEndpointHealthLog(logger);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const concurrency = Math.max(1, options.concurrency ?? 64);
  const perEndpoint = Math.max(1, options.perEndpointConcurrency ?? 8);
  const leaseMs = options.leaseMs ?? timeoutMs * holdRounds + 1_000;
  const pollMs = options.pollMs ?? 250;
  const fanOutBatch = options.fanOutBatch ?? 500;
  const fanOutsInFlight = Math.max(1, options.fanOutsInFlight ?? (store.capabilities?.multiProcess ? 2 : 1));
  const schedule = options.schedule ?? retrySchedule;
  const owner = options.owner ?? defaultOwner();
  const ownSender = options.sender === undefined;
  const sender =
    options.sender ??
    createWebhookSender({
      policy: createAddressPolicy({ allow: [...(options.allow ?? [])] }),
      timeoutMs,
      maxConnectionsPerOrigin: perEndpoint,
      now,
    });
  const metrics =
    options.metrics && 'attempts' in options.metrics
      ? options.metrics
      : createDispatcherMetrics(options.metrics as Registry | undefined);
  if (!metrics.hasStatsSource) metrics.setStatsSource(() => store.deliveryStats({ history: false }), now);

  /**
   * Ordered delivery: deliveries with an ordering key whose result is not recorded yet, and an
   * estimate of how many deliveries this worker's fan-outs left held behind an earlier one of their
   * key (`FanOutResult.held`) that its claims have not taken yet. While some are held, a final
   * result of a keyed delivery may free the next one: look for it as soon as that result has
   * committed, not at the next poll. With none held (the usual case, also under load: the earlier
   * event of a contact is long done when the next one is fanned out) no claim is spent on it. Held
   * deliveries this worker does not know of (another worker's fan-out, a restart) are claimed at
   * the poll at the latest.
   */
  const orderedUnrecorded = new Set<number>();
  let orderedHeld = 0;
  const batcher = createCompletionBatcher({
    complete: async (batch) => {
      const applied = await store.completeAttempts(batch);
      if (orderedUnrecorded.size > 0) {
        let freed = false;
        for (const result of batch) {
          if (orderedUnrecorded.delete(result.deliveryId) && result.outcome !== 'pending') freed = true;
        }
        if (freed && orderedHeld > 0) {
          claimHint = true;
          wake();
        }
      }
      return applied;
    },
    // Under load a batch commits once a round of attempts (`concurrency`) has finished; fewer,
    // larger transactions cost SQLite and PostgreSQL less per delivery. The linger only delays
    // the log, never a POST.
    lingerMs: 20,
    lingerBatch: concurrency,
    onError: (error, batch) =>
      logger.error(`could not record ${batch.length} webhook attempts; retrying`, error),
  });

  /** Claimed deliveries waiting or in flight; every settled attempt may make room for a claim. */
  let freedSinceClaim = 0;
  const queue = createDeliveryQueue({
    concurrency,
    perEndpoint,
    run: (delivery) => attempt(delivery),
    onSettled: () => {
      freedSinceClaim += 1;
      // The last attempt in flight: no more results are coming to share the commit with.
      if (queue.inFlight === 0) batcher.hurry();
      // Wake the loop only when this settle makes a claim due (see `tick`): a wake-up per attempt
      // would cost a loop turn, a promise and a poll timer per delivery for nothing.
      // While an overlapping fan-out is out, its end wakes the loop (see `overlapFanOut`).
      if (claimDue() && overlaps.size === 0) wake();
      // While a look for work is out, the next page may be asked for already.
      if (ticking > 0) overlapFanOut();
    },
  });
  let running = false;
  let loopDone: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let offBus: (() => void) | undefined;
  let offSignal: (() => void) | undefined;

  // Wake-up signalling: a pending wake is remembered so that one arriving during a tick is not lost.
  let woken = false;
  let waiter: (() => void) | undefined;
  let dueTimer: { at: number; timer: NodeJS.Timeout } | undefined;

  function wake(): void {
    woken = true;
    const resolve = waiter;
    waiter = undefined;
    resolve?.();
  }

  /** Waits for a wake-up (true) or `timeout` ms (false). */
  function waitForWake(timeout: number): Promise<boolean> {
    if (woken) {
      woken = false;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), timeout);
      const finish = (byWake: boolean) => {
        clearTimeout(timer);
        if (waiter === wakeUp) waiter = undefined;
        woken = false;
        resolve(byWake);
      };
      const wakeUp = () => finish(true);
      waiter = wakeUp;
    });
  }

  /** A retry due sooner than the next poll wakes the loop at its time (compressed schedules). */
  function wakeAt(at: number): void {
    const delay = at - now();
    if (delay >= pollMs || !running) return;
    if (dueTimer && dueTimer.at <= at) return;
    if (dueTimer) clearTimeout(dueTimer.timer);
    const timer = setTimeout(
      () => {
        dueTimer = undefined;
        claimHint = true;
        wake();
      },
      Math.max(0, delay),
    );
    timer.unref();
    dueTimer = { at, timer };
  }

  /** The metric children of one outcome, looked up once (not a label-set hash per attempt). */
  const byOutcome = new Map<
    string,
    { attempts: { inc(): void }; duration: { observe(value: number): void } }
  >();
  function outcomeMetrics(outcome: string) {
    let children = byOutcome.get(outcome);
    if (!children) {
      children = {
        attempts: metrics.attempts.labels({ outcome }),
        duration: metrics.attemptDuration.labels({ outcome }),
      };
      byOutcome.set(outcome, children);
    }
    return children;
  }

  /** One attempt of a claimed delivery; never rejects. */
  async function attempt(delivery: ClaimedDelivery): Promise<void> {
    const startedAt = now();
    let result: SendResult;
    try {
      // A fresh timestamp per attempt; the id stays; every secret that still signs signs.
      const headers = {
        ...signWebhook({
          id: delivery.webhookId,
          timestamp: Math.floor(startedAt / 1000),
          body: delivery.body,
          secrets: activeSecrets(delivery, startedAt),
        }),
        // Unsigned (the signature covers id, timestamp and body): the event's place and time.
        ...eventSequenceHeaders(delivery.eventId, delivery.eventAt),
      };
      result = await sender.send({ url: delivery.url, headers, body: delivery.body });
    } catch (error) {
      // A bad stored secret: a configuration error the sender must fix; retrying cannot help.
      result = {
        durationMs: now() - startedAt,
        responseExcerpt: '',
        error: { code: 'invalid_url', message: `cannot sign: ${(error as Error).message}` },
      };
    }
    const finishedAt = now();
    const decision = decideAttempt({
      delivery,
      result,
      now: finishedAt,
      random,
      schedule,
      ...(options.disableAfterMs === undefined ? {} : { disableAfterMs: options.disableAfterMs }),
    });
    const counted = outcomeMetrics(decision.label);
    counted.attempts.inc();
    counted.duration.observe(result.durationMs / 1000);
    // The four fields it reads, not a spread of the whole delivery (body, secrets …) per attempt.
    health.note({
      endpointId: delivery.endpointId,
      url: delivery.url,
      endpointFirstFailureAt: delivery.endpointFirstFailureAt,
      decision,
      at: finishedAt,
    });
    if (decision.nextAttemptAt !== null) wakeAt(decision.nextAttemptAt);
    if (delivery.orderingKey !== null) orderedUnrecorded.add(delivery.id);
    batcher.push({
      deliveryId: delivery.id,
      owner: delivery.leaseOwner ?? owner,
      attempt: {
        at: startedAt,
        status: result.status ?? null,
        durationMs: result.durationMs,
        error: result.error ? `${result.error.code}: ${result.error.message}` : null,
        responseExcerpt: result.responseExcerpt,
      },
      outcome: decision.outcome,
      nextAttemptAt: decision.nextAttemptAt,
      ...(decision.disableEndpoint ? { disableEndpoint: decision.disableEndpoint } : {}),
      at: finishedAt,
    });
  }

  // Two sources of work, each looked at only when it may hold some:
  // - deliveries already in the table that fall due (`claimDeliveries`): retries, expired leases of
  //   a dead worker, deliveries fanned out while this worker had no room for them. Hints: a retry
  //   timer, the poll period, a fan-out that left deliveries unleased, a claim that filled up.
  // - new outbox events (`fanOutPending` with a claim): each becomes its delivery already leased to
  //   this worker, so the common path is one transaction per batch, not a fan-out and a claim.
  //   Hints: an announced event, `wake()`, the poll period, a fan-out that stopped at its limits.
  // Due deliveries go first, so a retry that fell due is not overtaken by new events.
  let fanOutHint = true;
  let claimHint = true;
  let claimSeq = 0;
  /**
   * Look for work once this many attempts settled since the last look: a full round of the caps
   * (the loop holds `holdRounds` of them, so the waiting ones keep the slots busy meanwhile). Fewer, larger
   * transactions cost less per delivery.
   */
  const claimBatch = Math.max(1, Math.min(perEndpoint, concurrency));
  /** Whether settled attempts alone make a look for work worth its transaction. */
  const claimDue = () =>
    (fanOutHint || claimHint) &&
    (freedSinceClaim >= claimBatch || (freedSinceClaim > 0 && queue.heldTotal < claimBatch));

  /**
   * Room promised to looks for work still in flight (their `limit`, less what they have added to
   * the queue so far): a look that starts while another one is out counts it as held.
   */
  let reservedRoom = 0;
  /** Looks for work in flight (the loop's own, and `overlapFanOut`'s). */
  let ticking = 0;
  /** Whether the last fan-out stopped at its room, not at the end of the outbox: more is waiting. */
  let moreWaiting = false;
  /** The overlapping fan-outs in flight (`stop` waits for them). */
  const overlaps = new Set<Promise<void>>();

  /**
   * Claims and fans out when due; returns what it did. `overlap`: a fan-out only, started while
   * another look is in flight (see `overlapFanOut`).
   */
  async function tick(force: boolean, overlap = false): Promise<DispatchRound & { reserved?: true }> {
    // The loop holds up to `holdRounds` times the caps (see createDeliveryQueue); `runOnce` one round.
    const factor = force ? 1 : holdRounds;
    // What other looks in flight may still add counts as held, in total and, since it is not known
    // where it goes, for every endpoint: together they never exceed the caps.
    const othersReserved = reservedRoom;
    let room = factor * concurrency - queue.heldTotal - othersReserved;
    const perEndpointLimit = factor * perEndpoint - othersReserved;
    // The room is taken by a fan-out in flight: wait for it (its end wakes the loop).
    if (othersReserved > 0 && (room <= 0 || perEndpointLimit <= 0)) {
      return { fannedOut: 0, attempted: 0, reserved: true };
    }
    if (room <= 0) {
      // Full (an overlapping fan-out filled it): the next look is due once a round has freed again.
      freedSinceClaim = 0;
      return { fannedOut: 0, attempted: 0 };
    }
    if (!(force || overlap || fanOutHint || claimHint)) return { fannedOut: 0, attempted: 0 };
    freedSinceClaim = 0;
    claimSeq += 1;
    const lease = { owner: `${owner}#${claimSeq.toString(36)}`, leaseMs };
    ticking += 1;
    reservedRoom += room;
    /** Queues what a claim or fan-out leased: it is held now, no longer reserved. */
    const take = (claimed: readonly ClaimedDelivery[]) => {
      room -= claimed.length;
      reservedRoom -= claimed.length;
      queue.add(claimed);
    };
    try {
      // Results waiting for company commit now, in the same group commit as this look for work.
      batcher.hurry();
      let attempted = 0;
      if (!overlap && (force || claimHint)) {
        claimHint = false;
        // What this worker holds as the claim is sent: the store gives each endpoint at most the rest.
        const heldWhenSent = new Map(queue.held);
        const claimed = await store.claimDeliveries({
          ...lease,
          now: now(),
          limit: room,
          perEndpointLimit,
          inFlight: heldWhenSent,
        });
        const limitWhenSent = room;
        take(claimed);
        if (orderedHeld > 0) {
          const keyed = claimed.reduce((n, delivery) => n + (delivery.orderingKey === null ? 0 : 1), 0);
          // None taken while none of ours can still free one: the rest (if any) wait behind other
          // workers' deliveries; the poll finds them.
          orderedHeld = keyed === 0 && orderedUnrecorded.size === 0 ? 0 : Math.max(0, orderedHeld - keyed);
        }
        // More may be due when the claim stopped at a limit: all it asked for, or an endpoint's cap
        // (what is due for that endpoint waits for its slots). Then the next look comes as slots
        // free up, not at the next poll.
        const got = new Map<number, number>();
        for (const delivery of claimed) got.set(delivery.endpointId, (got.get(delivery.endpointId) ?? 0) + 1);
        const atCap = (endpointId: number) =>
          (heldWhenSent.get(endpointId) ?? 0) + (got.get(endpointId) ?? 0) >= perEndpointLimit;
        if (claimed.length >= limitWhenSent || [...heldWhenSent.keys(), ...got.keys()].some(atCap)) {
          claimHint = true;
        }
        attempted += claimed.length;
      }
      let fannedOut = 0;
      if (room > 0 && (force || overlap || fanOutHint)) {
        fanOutHint = false;
        const limitWhenSent = room;
        const result = await store.fanOutPending(now(), fanOutBatch, {
          ...lease,
          limit: room,
          perEndpointLimit,
          inFlight: new Map(queue.held),
        });
        const claimed = result.claimed ?? [];
        orderedHeld += result.held ?? 0;
        fannedOut = result.events;
        // It stopped at a limit, not at the end of the outbox: more events wait. Or it took some but
        // fewer than it asked for: with several workers that is rarely the end of the outbox but rows
        // another worker held (SKIP LOCKED passed over them; they come back if its fan-out fails) or
        // events appended meanwhile. Look again once a round of slots has freed (`claimDue`), not
        // at the next poll: a worker sitting out a poll period while the outbox still had work was
        // why three workers delivered less than one. An empty fan-out ends the hints.
        moreWaiting = result.events >= fanOutBatch || claimed.length >= limitWhenSent;
        if (moreWaiting || result.events > 0) fanOutHint = true;
        // Deliveries it could not lease (an endpoint at its cap) wait in the table for a claim.
        if (result.deliveries > claimed.length) claimHint = true;
        take(claimed);
        attempted += claimed.length;
      }
      return { fannedOut, attempted };
    } finally {
      ticking -= 1;
      reservedRoom -= room;
    }
  }

  /**
   * A fan-out started while the loop's look for work is still out (`fanOutsInFlight`): when the
   * last page stopped at its room (more events wait), less than half a round waits to start, and a
   * round of slots is free beside the room the look in flight may still fill. One
   * page's trip through the store (on PostgreSQL a statement that writes every delivery it leases)
   * took longer than sending what the worker held, so with one fan-out at a time the slots stood
   * idle for part of every page (measured with one worker: 20–30 % of the busy time nothing left
   * to start). Two pages in flight are what two workers would do; the store's locks (SKIP LOCKED)
   * and ordering rule already keep them apart, and the room each leaves for the other keeps the
   * caps (see `tick`).
   */
  function overlapFanOut(): void {
    if (!running || !moreWaiting || ticking === 0 || ticking >= fanOutsInFlight) return;
    // Only when the slots are about to run dry (less than half a round waiting to start): while
    // pages come back in time, a second one would only make them smaller (measured with one
    // worker over HTTP: a fifth more CPU per delivery, on both sides, for no more throughput).
    if (queue.heldTotal - queue.inFlight >= claimBatch / 2) return;
    if (holdRounds * concurrency - queue.heldTotal - reservedRoom < claimBatch) return;
    const done = tick(false, true).then(
      // The loop may be waiting for this fan-out's room (or for the work it brought).
      () => wake(),
      (error: unknown) => {
        // The loop's next look tries again (only its own failures back off); no more overlapping
        // fan-outs until a page of its own says that more events wait.
        moreWaiting = false;
        fanOutHint = claimHint = true;
        logger.error('the webhook dispatcher cannot reach the store (a fan-out); retrying', error);
        wake();
      },
    );
    overlaps.add(done);
    void done.finally(() => overlaps.delete(done));
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (running) {
      let round: DispatchRound & { reserved?: true };
      try {
        round = await tick(false);
        failures = 0;
      } catch (error) {
        failures += 1;
        logger.error(`the webhook dispatcher cannot reach the store (try ${failures}); retrying`, error);
        await waitForWake(Math.min(pollMs * 2 ** failures, 10_000));
        fanOutHint = claimHint = true;
        continue;
      }
      if (!running) break;
      // Nothing could start while an overlapping fan-out holds the room: wait for its end.
      if (round.reserved) {
        if (!(await waitForWake(pollMs))) fanOutHint = claimHint = true;
        continue;
      }
      // Go on at once after work, or when attempts that settled during the tick made a claim due
      // (they could not wake the loop while it was busy).
      if (round.attempted > 0 || round.fannedOut > 0 || claimDue()) continue;
      // Nothing to do now: sleep until woken (an announced event, a settled attempt, a retry
      // falling due) or the poll period ends, after which both fan-out and claim run.
      if (!(await waitForWake(pollMs))) fanOutHint = claimHint = true;
    }
  }

  return {
    owner,
    metrics,
    start() {
      if (running || stopping) return;
      running = true;
      const announced = () => {
        fanOutHint = claimHint = true;
        wake();
      };
      offBus = options.bus?.on('*', announced);
      offSignal = options.store.onOutboxAppended?.(announced); // events committed by other processes
      logger.info(
        `webhook dispatcher ${owner} started (concurrency ${concurrency}, ${perEndpoint} per endpoint)`,
      );
      loopDone = loop();
    },
    stop() {
      stopping ??= (async () => {
        running = false;
        offBus?.();
        offSignal?.();
        wake();
        await loopDone;
        while (overlaps.size > 0) await Promise.all([...overlaps]);
        await queue.idle();
        // Record what finished; if the store is gone, the leases expire and another worker retries.
        await batcher.drain({ giveUpAfter: 3 });
        if (dueTimer) clearTimeout(dueTimer.timer);
        if (ownSender) await sender.close();
      })();
      return stopping;
    },
    wake() {
      // From outside: something may be new (an event committed elsewhere, a retry asked for).
      fanOutHint = claimHint = true;
      wake();
    },
    async runOnce() {
      if (running) throw new Error('runOnce() cannot run while the dispatcher is started');
      const round = await tick(true);
      await queue.idle();
      await batcher.drain();
      return round;
    },
  };
}
