/**
 * @module `GET /metrics`: the Prometheus text of a prom-client registry — the dispatcher's metrics
 * (`createDispatcherMetrics`: deliveries by outcome, attempt durations, deliveries by status, pending
 * count, oldest pending age). The gauges read the store when scraped; when no dispatcher runs in
 * this process, `store` makes them read it anyway.
 *
 * Public by default, like `/healthz`: it carries only counts, never addresses or event bodies, and
 * scrapers rarely hold the admin token. Pass `auth` (e.g. `requireAdminToken(verify)`) to put it
 * behind the bearer token where the port is reachable from outside.
 */
import { Router, type RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import type { Store } from '../../store/index.js';
import { createDispatcherMetrics } from '../../webhooks/index.js';

/** Options of {@link metricsRoutes}. */
export interface MetricsRoutesOptions {
  /** The registry the dispatcher records into (`dispatcher.metrics.registry`). */
  registry: Registry;
  /** Feeds the gauges at scrape time when the dispatcher has not set a source (a web-only process). */
  store?: Pick<Store, 'deliveryStats'>;
  /** The clock for the oldest-pending age (ms); default `Date.now`. */
  now?: () => number;
  /** Runs before the metrics are read, e.g. the admin bearer check. */
  auth?: RequestHandler;
}

/** The `/metrics` route, to mount on the app (not under `/api`). */
export function metricsRoutes({ registry, store, now = Date.now, auth }: MetricsRoutesOptions): Router {
  const metrics = createDispatcherMetrics(registry);
  if (store && !metrics.hasStatsSource)
    metrics.setStatsSource(() => store.deliveryStats({ history: false }), now);
  const router = Router();
  const handlers: RequestHandler[] = auth ? [auth] : [];
  router.get('/metrics', ...handlers, async (_req, res) => {
    // The gauges' collect hooks run inside metrics() and read the store once per scrape.
    const text = await registry.metrics();
    res.set('Cache-Control', 'no-store').type(registry.contentType).send(text);
  });
  return router;
}
