/**
 * @module Operations verbs: the audit log and the dashboard's reads. Each read is one statement over
 * a time window: unsubscribes through migration 8's `membership_changes_window` (led by the state,
 * then the time, covering what it groups by); deliveries and latency from migration 10's hourly
 * rollups (a few rows per hour, whatever the traffic; written by `completeAttempts`); the backlog
 * through migration 2's status/pending indexes. So each cost follows the window, not the table.
 * Buckets are integer division of the ms time, the same on both backends.
 */
import type { SqlExecutor } from '../sqlExecutor.js';
import type { DeliveryHourCount, EndpointHealth, OperationsStore } from '../types.js';
import { hourMs } from './statsRollups.js';

const dayMs = 86_400_000;
const maxAuditPage = 200;

type AuditRow = {
  id: number | string;
  at: number | string;
  method: string;
  route: string;
  status: number | string;
  source_address: string;
  session_id: string | null;
};

const auditFromRow = (row: AuditRow) => ({
  id: Number(row.id),
  at: Number(row.at),
  method: row.method,
  route: row.route,
  status: Number(row.status),
  sourceAddress: row.source_address,
  sessionId: row.session_id,
});

/** The 0-based position of quantile `q` among `count` ascending values (nearest rank). */
function rank(count: number, q: number): number {
  return Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1));
}

/** The duration bucket holding the `position`-th (0-based) attempt of buckets in duration order. */
function quantileOf(buckets: readonly { bucketMs: number; attempts: number }[], position: number): number {
  let seen = 0;
  for (const bucket of buckets) {
    seen += bucket.attempts;
    if (seen > position) return bucket.bucketMs;
  }
  return buckets.at(-1)?.bucketMs ?? 0;
}

/** The operations verbs on one executor. */
export function createOperationsVerbs(executor: SqlExecutor): OperationsStore {
  return {
    async appendAudit(entry) {
      const rows = await executor.all<{ id: number | string }>(
        `INSERT INTO audit_log (at, method, route, status, source_address, session_id)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
        [entry.at, entry.method, entry.route, entry.status, entry.sourceAddress, entry.sessionId],
      );
      return { id: Number(rows[0]?.id), ...entry };
    },

    async listAudit(options = {}) {
      const limit = Math.min(Math.max(1, options.limit ?? maxAuditPage), maxAuditPage);
      const rows = await executor.all<AuditRow>(
        `SELECT id, at, method, route, status, source_address, session_id FROM audit_log
         ${options.beforeId === undefined ? '' : 'WHERE id < ?'} ORDER BY id DESC LIMIT ?`,
        options.beforeId === undefined ? [limit] : [options.beforeId, limit],
      );
      return rows.map(auditFromRow);
    },

    async unsubscribesByDay({ from, to }) {
      const rows = await executor.all<{
        day: number | string;
        group_id: number;
        source: string;
        n: number | string;
      }>(
        `SELECT (at / ${dayMs}) * ${dayMs} AS day, group_id, source, COUNT(*) AS n
         FROM membership_changes WHERE at >= ? AND at < ? AND state = 'unsubscribed'
         GROUP BY 1, group_id, source ORDER BY 1, group_id, source`,
        [from, to],
      );
      return rows.map((row) => ({
        day: Number(row.day),
        groupId: Number(row.group_id),
        source: row.source,
        count: Number(row.n),
      }));
    },

    async deliveriesByHour({ from, to, endpointId }) {
      // The rollup's key leads with the hour: the window is one range of the primary key.
      const [fromHour, lastHour] = [Math.floor(from / hourMs), Math.ceil(to / hourMs) - 1];
      const rows = await executor.all<{
        hour: number | string;
        outcome: 'succeeded' | 'pending' | 'failed' | 'disabled';
        n: number | string;
      }>(
        `SELECT hour, outcome, SUM(attempts) AS n FROM delivery_stats_hourly
         WHERE hour >= ? AND hour <= ?${endpointId === undefined ? '' : ' AND endpoint_id = ?'}
         GROUP BY hour, outcome ORDER BY hour, outcome`,
        endpointId === undefined ? [fromHour, lastHour] : [fromHour, lastHour, endpointId],
      );
      return rows.map((row): DeliveryHourCount => ({
        hour: Number(row.hour) * hourMs,
        status: row.outcome,
        retrying: row.outcome === 'pending',
        count: Number(row.n),
      }));
    },

    async attemptLatencyByHour({ from, to }) {
      // An hour's buckets come in duration order (the primary key, shards summed): its quantiles
      // are found by walking the cumulative counts once.
      const [fromHour, lastHour] = [Math.floor(from / hourMs), Math.ceil(to / hourMs) - 1];
      const rows = await executor.all<{
        hour: number | string;
        bucket_ms: number | string;
        attempts: number | string;
      }>(
        `SELECT hour, bucket_ms, SUM(attempts) AS attempts FROM attempt_latency_hourly
         WHERE hour >= ? AND hour <= ? GROUP BY hour, bucket_ms ORDER BY hour, bucket_ms`,
        [fromHour, lastHour],
      );
      const byHour = new Map<number, { bucketMs: number; attempts: number }[]>();
      for (const row of rows) {
        const hour = Number(row.hour);
        const buckets = byHour.get(hour) ?? [];
        buckets.push({ bucketMs: Number(row.bucket_ms), attempts: Number(row.attempts) });
        byHour.set(hour, buckets);
      }
      return [...byHour].map(([hour, buckets]) => {
        const count = buckets.reduce((sum, bucket) => sum + bucket.attempts, 0);
        return {
          hour: hour * hourMs,
          count,
          p50Ms: quantileOf(buckets, rank(count, 0.5)),
          p99Ms: quantileOf(buckets, rank(count, 0.99)),
        };
      });
    },

    async backlogStats() {
      // Counted through an index of the pending rows (SQLite: deliveries_status (status, event_id);
      // PostgreSQL: deliveries_claim, which carries event_id since migration 11) and the outbox's
      // partial index. The oldest pending delivery is found by its event (ids grow with time, so the
      // smallest pending event_id is the oldest), not by a visit of every pending row. `delivering`
      // is not a stored status (a pending row under a lease), and `= 'pending'` is what lets
      // PostgreSQL prove the partial claim index applies.
      const [deliveries] = await executor.all<{ n: number | string; event_id: number | string | null }>(
        `SELECT COUNT(*) AS n, MIN(event_id) AS event_id FROM deliveries WHERE status = 'pending'`,
      );
      const [oldestDelivery] =
        deliveries?.event_id === null || deliveries?.event_id === undefined
          ? []
          : await executor.all<{ oldest: number | string | null }>(
              `SELECT MIN(created_at) AS oldest FROM deliveries
               WHERE event_id = ? AND status = 'pending'`,
              [deliveries.event_id],
            );
      const [outbox] = await executor.all<{ n: number | string; oldest: number | string | null }>(
        'SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE dispatched_at IS NULL',
      );
      const oldest = [oldestDelivery?.oldest, outbox?.oldest]
        .filter((value) => value !== null && value !== undefined)
        .map(Number);
      return {
        pendingDeliveries: Number(deliveries?.n ?? 0),
        undispatchedEvents: Number(outbox?.n ?? 0),
        oldestPendingAt: oldest.length > 0 ? Math.min(...oldest) : null,
      };
    },

    async endpointHealth() {
      const endpoints = await executor.all<{
        id: number;
        slot: string;
        event_type: string | null;
        url: string;
        disabled_at: number | string | null;
        disabled_reason: string | null;
        first_failure_at: number | string | null;
        failure_streak: number | string;
      }>(
        `SELECT id, slot, event_type, url, disabled_at, disabled_reason, first_failure_at, failure_streak
         FROM endpoints WHERE removed_at IS NULL ORDER BY id`,
      );
      const health: EndpointHealth[] = [];
      for (const endpoint of endpoints) {
        // The last error among its newest 1,000 deliveries (deliveries_endpoint index, newest
        // first): bounded, so a healthy endpoint with millions of successes costs no more.
        const [last] = await executor.all<{
          last_error: string | null;
          last_status: number | null;
          updated_at: number | string;
        }>(
          `SELECT last_error, last_status, updated_at FROM (
             SELECT id, last_error, last_status, updated_at FROM deliveries
             WHERE endpoint_id = ? ORDER BY id DESC LIMIT 1000) AS newest
           WHERE last_error IS NOT NULL OR last_status < 200 OR last_status >= 300
           ORDER BY id DESC LIMIT 1`,
          [endpoint.id],
        );
        const failingSince = endpoint.first_failure_at === null ? null : Number(endpoint.first_failure_at);
        health.push({
          id: Number(endpoint.id),
          slot: endpoint.slot,
          eventType: endpoint.event_type,
          url: endpoint.url,
          state: endpoint.disabled_at !== null ? 'disabled' : failingSince !== null ? 'failing' : 'enabled',
          disabledReason: endpoint.disabled_reason,
          failingSince,
          failureStreak: failingSince === null ? 0 : Number(endpoint.failure_streak),
          lastError: last ? (last.last_error ?? `HTTP ${last.last_status ?? '?'}`) : null,
          lastErrorAt: last ? Number(last.updated_at) : null,
        });
      }
      return health;
    },
  };
}
