/**
 * @module The dashboard's JSON: `GET /stats/unsubscribes`, `/stats/deliveries`, `/stats/latency`,
 * `/stats/backlog`, `/stats/endpoints`. Mounted twice: under `/api` behind the admin token, and
 * under `/console/api` behind the console session (the dashboard's script has no bearer token).
 * Each answer is one or two store reads over a time window (see the operations verbs' indexes).
 */
import { Router } from 'express';
import type { z } from 'zod';
import type { Store } from '../../store/index.js';
import { parseAdminInput } from '../admin/parseAdminInput.js';
import {
  deliveryStatsQuerySchema,
  latencyStatsQuerySchema,
  unsubscribeStatsQuerySchema,
  type backlogStatsSchema,
  type deliveryStatsSchema,
  type endpointStatsSchema,
  type latencyStatsSchema,
  type unsubscribeStatsSchema,
} from './statsSchemas.js';

const hourMs = 3_600_000;
const dayMs = 86_400_000;

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/** `count` bucket starts ending with the one holding `now`. */
function buckets(now: number, size: number, count: number): number[] {
  const last = Math.floor(now / size) * size;
  return Array.from({ length: count }, (_, n) => last - (count - 1 - n) * size);
}

/** The stats routes over `store`. */
export function statsRoutes(store: Store, now: () => number = Date.now): Router {
  const router = Router();

  router.get('/stats/unsubscribes', async (req, res) => {
    const query = parseAdminInput(unsubscribeStatsQuerySchema, req.query, 'query.');
    const days = buckets(now(), dayMs, query.days ?? 30);
    const from = days[0] ?? 0;
    const to = (days.at(-1) ?? 0) + dayMs;
    const [rows, groups] = await Promise.all([store.unsubscribesByDay({ from, to }), store.listGroups()]);
    const body: z.input<typeof unsubscribeStatsSchema> = {
      from: iso(from),
      to: iso(to),
      days: days.map(iso),
      groups: groups.map((group) => ({ id: group.id, name: group.name, channel: group.channel })),
      sources: [...new Set(rows.map((row) => row.source))].sort(),
      counts: rows.map((row) => ({
        day: iso(row.day),
        groupId: row.groupId,
        source: row.source,
        count: row.count,
      })),
      total: rows.reduce((sum, row) => sum + row.count, 0),
    };
    res.json(body);
  });

  router.get('/stats/deliveries', async (req, res) => {
    const query = parseAdminInput(deliveryStatsQuerySchema, req.query, 'query.');
    const hours = buckets(now(), hourMs, query.hours ?? 48);
    const from = hours[0] ?? 0;
    const to = (hours.at(-1) ?? 0) + hourMs;
    const rows = await store.deliveriesByHour({
      from,
      to,
      ...(query.endpoint === undefined ? {} : { endpointId: query.endpoint }),
    });
    const index = new Map(hours.map((hour, n) => [hour, n]));
    const series = {
      delivered: hours.map(() => 0),
      retrying: hours.map(() => 0),
      failed: hours.map(() => 0),
    };
    for (const row of rows) {
      const n = index.get(row.hour);
      if (n === undefined) continue;
      const outcome =
        row.status === 'succeeded'
          ? 'delivered'
          : row.status === 'failed' || row.status === 'disabled'
            ? 'failed'
            : row.retrying
              ? 'retrying'
              : undefined;
      if (outcome) series[outcome][n] = (series[outcome][n] ?? 0) + row.count;
    }
    const body: z.input<typeof deliveryStatsSchema> = {
      from: iso(from),
      to: iso(to),
      endpoint: query.endpoint ?? null,
      hours: hours.map(iso),
      ...series,
    };
    res.json(body);
  });

  router.get('/stats/latency', async (req, res) => {
    const query = parseAdminInput(latencyStatsQuerySchema, req.query, 'query.');
    const hours = buckets(now(), hourMs, query.hours ?? 48);
    const from = hours[0] ?? 0;
    const to = (hours.at(-1) ?? 0) + hourMs;
    const rows = new Map((await store.attemptLatencyByHour({ from, to })).map((row) => [row.hour, row]));
    const body: z.input<typeof latencyStatsSchema> = {
      from: iso(from),
      to: iso(to),
      hours: hours.map(iso),
      attempts: hours.map((hour) => rows.get(hour)?.count ?? 0),
      p50Ms: hours.map((hour) => rows.get(hour)?.p50Ms ?? null),
      p99Ms: hours.map((hour) => rows.get(hour)?.p99Ms ?? null),
    };
    res.json(body);
  });

  router.get('/stats/backlog', async (_req, res) => {
    const stats = await store.backlogStats();
    const body: z.input<typeof backlogStatsSchema> = {
      pendingDeliveries: stats.pendingDeliveries,
      undispatchedEvents: stats.undispatchedEvents,
      oldestPendingAt: isoOrNull(stats.oldestPendingAt),
      oldestPendingAgeSeconds:
        stats.oldestPendingAt === null
          ? null
          : Math.max(0, Math.round((now() - stats.oldestPendingAt) / 1000)),
    };
    res.json(body);
  });

  router.get('/stats/endpoints', async (_req, res) => {
    const endpoints = await store.endpointHealth();
    const body: z.input<typeof endpointStatsSchema> = {
      endpoints: endpoints.map((endpoint) => ({
        ...endpoint,
        failingSince: isoOrNull(endpoint.failingSince),
        lastErrorAt: isoOrNull(endpoint.lastErrorAt),
      })),
    };
    res.json(body);
  });

  return router;
}
