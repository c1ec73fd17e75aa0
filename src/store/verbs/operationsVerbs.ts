/**
 * @module Operations verbs: the audit log and the dashboard's reads. Each read is one statement over
 * a time window, served by migration 8's indexes (`membership_changes_window`,
 * `deliveries_endpoint_window`, `attempts_window`: led by what the statement pins, then the time
 * column, covering what it groups by) or by migration 2's status/pending indexes, so its cost
 * follows the window, not the table.
 * Buckets are integer division of the ms time, the same on both backends.
 */
import type { SqlExecutor } from '../sqlExecutor.js';
import type { DeliveryHourCount, EndpointHealth, OperationsStore } from '../types.js';

const hourMs = 3_600_000;
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

/** The value at quantile `q` of ascending `sorted` (nearest rank). */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
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
      // `endpoint_id IN (…)` first: one range seek of deliveries_endpoint_window per endpoint.
      const rows = await executor.all<{
        hour: number | string;
        status: DeliveryHourCount['status'];
        retrying: number | string | boolean;
        n: number | string;
      }>(
        `SELECT (updated_at / ${hourMs}) * ${hourMs} AS hour, status,
                CASE WHEN status = 'pending' AND attempts > 0 THEN 1 ELSE 0 END AS retrying, COUNT(*) AS n
         FROM deliveries
         WHERE endpoint_id IN (${endpointId === undefined ? 'SELECT id FROM endpoints' : '?'})
           AND updated_at >= ? AND updated_at < ?
         GROUP BY 1, status, 3 ORDER BY 1`,
        endpointId === undefined ? [from, to] : [endpointId, from, to],
      );
      return rows.map((row) => ({
        hour: Number(row.hour),
        status: row.status,
        retrying: Number(row.retrying) === 1,
        count: Number(row.n),
      }));
    },

    async attemptLatencyByHour({ from, to }) {
      // Sorted by the index (at, duration_ms): each hour's durations arrive grouped; sort each hour.
      const rows = await executor.all<{ at: number | string; duration_ms: number | string }>(
        'SELECT at, duration_ms FROM attempts WHERE at >= ? AND at < ? ORDER BY at',
        [from, to],
      );
      const hours = new Map<number, number[]>();
      for (const row of rows) {
        const hour = Math.floor(Number(row.at) / hourMs) * hourMs;
        let list = hours.get(hour);
        if (!list) hours.set(hour, (list = []));
        list.push(Number(row.duration_ms));
      }
      return [...hours].map(([hour, durations]) => {
        durations.sort((a, b) => a - b);
        return {
          hour,
          count: durations.length,
          p50Ms: quantile(durations, 0.5),
          p99Ms: quantile(durations, 0.99),
        };
      });
    },

    async backlogStats() {
      // Counted through the deliveries_status index (status, event_id) and the outbox's partial
      // index. The oldest pending delivery is found by its event (ids grow with time, so the
      // smallest pending event_id is the oldest): two index seeks, not a visit of every pending row.
      const [deliveries] = await executor.all<{ n: number | string; event_id: number | string | null }>(
        `SELECT COUNT(*) AS n, MIN(event_id) AS event_id FROM deliveries WHERE status IN ('pending', 'delivering')`,
      );
      const [oldestDelivery] =
        deliveries?.event_id === null || deliveries?.event_id === undefined
          ? []
          : await executor.all<{ oldest: number | string | null }>(
              `SELECT MIN(created_at) AS oldest FROM deliveries
               WHERE event_id = ? AND status IN ('pending', 'delivering')`,
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
      }>(
        `SELECT id, slot, event_type, url, disabled_at, disabled_reason, first_failure_at
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
        const [streak] =
          failingSince === null
            ? [{ n: 0 }]
            : await executor.all<{ n: number | string }>(
                `SELECT COUNT(*) AS n FROM deliveries WHERE endpoint_id = ? AND updated_at >= ?
                 AND (status = 'failed' OR (status = 'pending' AND attempts > 0))`,
                [endpoint.id, failingSince],
              );
        health.push({
          id: Number(endpoint.id),
          slot: endpoint.slot,
          eventType: endpoint.event_type,
          url: endpoint.url,
          state: endpoint.disabled_at !== null ? 'disabled' : failingSince !== null ? 'failing' : 'enabled',
          disabledReason: endpoint.disabled_reason,
          failingSince,
          failureStreak: Number(streak?.n ?? 0),
          lastError: last ? (last.last_error ?? `HTTP ${last.last_status ?? '?'}`) : null,
          lastErrorAt: last ? Number(last.updated_at) : null,
        });
      }
      return health;
    },
  };
}
