/**
 * @module The dispatcher's Prometheus metrics (prom-client): deliveries by outcome, attempt
 * duration, and — read from the store when `/metrics` is scraped — deliveries by status, the
 * pending count and the age of the oldest pending work.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { deliveryStatuses, type DeliveryStats } from '../store/index.js';

/** The dispatcher's metrics in one registry. */
export interface DispatcherMetrics {
  registry: Registry;
  /** `unsub_webhook_attempts_total{outcome}`: attempts by what they led to. */
  attempts: Counter<'outcome'>;
  /** `unsub_webhook_attempt_duration_seconds{outcome}`. */
  attemptDuration: Histogram<'outcome'>;
  /**
   * Sets where the gauges read their values at scrape time (the dispatcher sets its store's
   * `deliveryStats` unless one is set already).
   */
  setStatsSource(source: () => Promise<DeliveryStats>, now?: () => number): void;
  /** True once a stats source is set. */
  readonly hasStatsSource: boolean;
}

/** One metrics object per registry: registering a name twice would throw. */
const byRegistry = new WeakMap<Registry, DispatcherMetrics>();

/**
 * Creates (or returns the already created) dispatcher metrics in `registry` (default: a new one).
 * Names: `unsub_webhook_attempts_total{outcome=succeeded|retry|failed|disabled}`,
 * `unsub_webhook_attempt_duration_seconds`, `unsub_webhook_deliveries{status}`,
 * `unsub_webhook_pending` (pending + in flight + not yet fanned out events),
 * `unsub_webhook_oldest_pending_age_seconds`.
 */
export function createDispatcherMetrics(registry: Registry = new Registry()): DispatcherMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  let source: (() => Promise<DeliveryStats>) | undefined;
  let clock: () => number = Date.now;
  // One store read serves all three gauges of one scrape.
  let pendingRead: Promise<DeliveryStats | undefined> | undefined;
  const read = (): Promise<DeliveryStats | undefined> => {
    pendingRead ??= (source ? source() : Promise.resolve(undefined))
      .catch(() => undefined)
      .finally(() => {
        pendingRead = undefined;
      });
    return pendingRead;
  };

  const attempts = new Counter({
    name: 'unsub_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome (succeeded, retry, failed, disabled).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const attemptDuration = new Histogram({
    name: 'unsub_webhook_attempt_duration_seconds',
    help: 'Duration of webhook delivery attempts, DNS to last body byte.',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
    registers: [registry],
  });
  new Gauge({
    name: 'unsub_webhook_deliveries',
    help: 'Webhook deliveries by status.',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const stats = await read();
      if (!stats) return;
      for (const status of deliveryStatuses) {
        // Finished deliveries are history (pruned by retention); their rate is attempts_total.
        if (stats.history || status === 'pending' || status === 'delivering')
          this.set({ status }, stats.byStatus[status]);
      }
    },
  });
  new Gauge({
    name: 'unsub_webhook_pending',
    help: 'Webhook work not finished: deliveries pending or in flight, plus events not yet fanned out.',
    registers: [registry],
    async collect() {
      const stats = await read();
      if (stats) this.set(stats.byStatus.pending + stats.byStatus.delivering + stats.undispatchedEvents);
    },
  });
  new Gauge({
    name: 'unsub_webhook_oldest_pending_age_seconds',
    help: 'Age of the oldest unfinished webhook work (0 when there is none).',
    registers: [registry],
    async collect() {
      const stats = await read();
      if (!stats) return;
      this.set(stats.oldestPendingAt === null ? 0 : Math.max(0, (clock() - stats.oldestPendingAt) / 1000));
    },
  });

  const metrics: DispatcherMetrics = {
    registry,
    attempts,
    attemptDuration,
    setStatsSource(next, now = Date.now) {
      source = next;
      clock = now;
    },
    get hasStatsSource() {
      return source !== undefined;
    },
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
