/**
 * @module Operations verbs: the audit log and the dashboard's reads. Each read is one statement over
 * a time window, served by migration 8's indexes (`membership_changes_window`,
 * `deliveries_endpoint_hour`, `attempts_hour`: led by what the statement pins, then the time or
 * its hour, covering what it groups by) or by migration 2's status/pending indexes, so its cost
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

/** The 0-based position of quantile `q` among `count` ascending values (nearest rank). */
function rank(count: number, q: number): number {
  return Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1));
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
      // One query per endpoint through deliveries_endpoint_hour: its rows arrive ordered by
      // (hour, status), so grouping needs no sort; the endpoints' counts are summed here.
      const [fromHour, lastHour] = [Math.floor(from / hourMs), Math.ceil(to / hourMs) - 1];
      const endpointIds =
        endpointId === undefined
          ? (await executor.all<{ id: number | string }>('SELECT id FROM endpoints')).map((row) =>
              Number(row.id),
            )
          : [endpointId];
      const counts = new Map<string, DeliveryHourCount>();
      const add = (hour: number, status: DeliveryHourCount['status'], retrying: boolean, count: number) => {
        if (count === 0) return;
        const key = `${hour}|${status}|${retrying}`;
        const entry = counts.get(key);
        if (entry) entry.count += count;
        else counts.set(key, { hour, status, retrying, count });
      };
      for (const id of endpointIds) {
        const rows = await executor.all<{
          hour: number | string;
          status: DeliveryHourCount['status'];
          tried: number | string;
          n: number | string;
        }>(
          `SELECT updated_at / ${hourMs} AS hour, status,
                  SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END) AS tried, COUNT(*) AS n
           FROM deliveries
           WHERE endpoint_id = ? AND updated_at / ${hourMs} >= ? AND updated_at / ${hourMs} <= ?
           GROUP BY updated_at / ${hourMs}, status`,
          [id, fromHour, lastHour],
        );
        for (const row of rows) {
          const hour = Number(row.hour) * hourMs;
          const n = Number(row.n);
          if (row.status === 'pending') {
            add(hour, 'pending', true, Number(row.tried));
            add(hour, 'pending', false, n - Number(row.tried));
          } else {
            add(hour, row.status, false, n);
          }
        }
      }
      return [...counts.values()].sort((x, y) => x.hour - y.hour);
    },

    async attemptLatencyByHour({ from, to }) {
      // attempts_hour holds each hour's durations in order: count per hour (one index range, already
      // grouped), then each quantile is one OFFSET into that hour's part of the index.
      const [fromHour, lastHour] = [Math.floor(from / hourMs), Math.ceil(to / hourMs) - 1];
      const perHour = await executor.all<{ hour: number | string; n: number | string }>(
        `SELECT at / ${hourMs} AS hour, COUNT(*) AS n FROM attempts
         WHERE at / ${hourMs} >= ? AND at / ${hourMs} <= ? GROUP BY at / ${hourMs}`,
        [fromHour, lastHour],
      );
      const nth = async (hour: number, offset: number) =>
        Number(
          (
            await executor.all<{ duration_ms: number | string }>(
              `SELECT duration_ms FROM attempts WHERE at / ${hourMs} = ? ORDER BY duration_ms LIMIT 1 OFFSET ?`,
              [hour, offset],
            )
          )[0]?.duration_ms ?? 0,
        );
      const result = [];
      for (const row of perHour) {
        const hour = Number(row.hour);
        const count = Number(row.n);
        result.push({
          hour: hour * hourMs,
          count,
          p50Ms: await nth(hour, rank(count, 0.5)),
          p99Ms: await nth(hour, rank(count, 0.99)),
        });
      }
      return result.sort((x, y) => x.hour - y.hour);
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
                `SELECT COUNT(*) AS n FROM deliveries
                 WHERE endpoint_id = ? AND updated_at / ${hourMs} >= ? AND updated_at >= ?
                   AND (status = 'failed' OR (status = 'pending' AND attempts > 0))`,
                [endpoint.id, Math.floor(failingSince / hourMs), failingSince],
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
