/**
 * @module The delivery log: list deliveries (newest first, keyset pages), one delivery with its
 * attempts, retry one, replay the failed ones of an endpoint, counts for metrics.
 */
import type { SqlExecutor, SqlValue } from '../sqlExecutor.js';
import {
  deliveryStatuses,
  type BackendName,
  type DeliveryStats,
  type DeliveryStatus,
  type WebhooksStore,
} from '../types.js';
import {
  attemptColumns,
  attemptFromRow,
  deliveryColumns,
  deliveryFromRow,
  type AttemptRow,
  type DeliveryRow,
} from './webhookRows.js';

/** The delivery log verbs of `WebhooksStore`. */
export type DeliveryLogVerbs = Pick<
  WebhooksStore,
  'listDeliveries' | 'getDelivery' | 'retryDelivery' | 'replayDeliveries' | 'deliveryStats'
>;

/** Default and largest page of `listDeliveries`. */
const defaultPage = 50;
const maxPage = 500;

/**
 * Makes deliveries due now in a new round. Only for endpoints that are live and enabled (a retry
 * to a disabled endpoint would sit unclaimed), and never while a worker holds the delivery.
 */
const retryWhere = `(lease_expires_at IS NULL OR lease_expires_at <= ?)
    AND endpoint_id IN (SELECT id FROM endpoints WHERE disabled_at IS NULL AND removed_at IS NULL)`;
const retrySql = `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_owner = NULL,
    lease_expires_at = NULL, updated_at = ?, success_attempt_id = NULL, success_at = NULL,
    success_duration_ms = NULL, success_excerpt = NULL, success_worker = NULL
  WHERE ${retryWhere}`;

/**
 * Moves a succeeded delivery's attempt from its row (migration 12) to `attempts`, keeping its id,
 * before a manual retry makes the delivery pending again: the row holds only the attempt that made
 * it `succeeded`. PostgreSQL's `attempts.id` is an identity column that refuses a given value
 * unless told so; its row lock makes a second retry of the same delivery wait and then find the
 * attempt moved (SQLite's transactions run one at a time).
 */
const moveSucceededAttempt = (overriding: string, lock: string) =>
  `INSERT INTO attempts (id, delivery_id, at, status, duration_ms, error, response_excerpt, worker) ${overriding}
   SELECT success_attempt_id, id, success_at, last_status, success_duration_ms, NULL, success_excerpt,
     success_worker FROM deliveries
   WHERE id = ? AND success_attempt_id IS NOT NULL AND ${retryWhere}${lock}`;
const moveSucceededAttemptSql: Record<BackendName, string> = {
  sqlite: moveSucceededAttempt('', ''),
  postgres: moveSucceededAttempt('OVERRIDING SYSTEM VALUE', ' FOR UPDATE'),
};

/** Thrown inside a retry's transaction to undo it (see `retryDelivery`). */
class RetryRaced extends Error {}

/**
 * Counts the pending deliveries (`n`, leased or not) and the leased ones (`leased`) from indexes
 * alone, per backend. SQLite is told to read the partial index of pending rows (`deliveries_claim`,
 * migration 9), whose entries are three small integers (it would pick the `(status, event_id)`
 * index by its equality, whose entries each repeat the status text: four times slower at 100,000
 * pending), and the small partial index of leased rows (`deliveries_leased`, migration 5).
 * PostgreSQL has no `deliveries_leased` since migration 11 (an entry per delivery at fan-out for
 * this count only); its claim index carries `lease_owner`, so one index-only scan gives both.
 * Every verb that finishes a delivery clears its lease, so leased rows are pending rows.
 */
const unfinishedCountSql: Record<BackendName, string> = {
  sqlite: `SELECT 'pending' AS status,
      (SELECT COUNT(*) FROM deliveries INDEXED BY deliveries_claim WHERE status = 'pending') AS n,
      (SELECT COUNT(*) FROM deliveries WHERE lease_owner IS NOT NULL) AS leased`,
  postgres: `SELECT 'pending' AS status, COUNT(*) AS n, COUNT(lease_owner) AS leased
    FROM deliveries WHERE status = 'pending'`,
};

/**
 * The smallest event id among pending deliveries, per backend. SQLite: one entry of the
 * `(status, event_id)` index. PostgreSQL reads the claim index, which carries `event_id` since
 * migration 11 (index-only, the pending rows only); `event_id + 0` keeps its planner from turning
 * the MIN into "first pending row in `event_id` order" through the unique `(event_id, endpoint_id)`
 * index, which it costs as a short scan (1 % pending, spread evenly) but which reads the whole
 * delivered history first: pending deliveries are the newest.
 */
const oldestPendingEventSql: Record<BackendName, string> = {
  sqlite: "SELECT MIN(event_id) FROM deliveries WHERE status = 'pending'",
  postgres: "SELECT MIN(event_id + 0) FROM deliveries WHERE status = 'pending'",
};

/** The delivery log verbs on one executor. */
export function createDeliveryLogVerbs(executor: SqlExecutor): DeliveryLogVerbs {
  const deliveryById = async (id: number) => {
    const rows = await executor.all<DeliveryRow>(`SELECT ${deliveryColumns()} FROM deliveries WHERE id = ?`, [
      id,
    ]);
    return rows[0] ? deliveryFromRow(rows[0]) : undefined;
  };

  return {
    async listDeliveries(filter = {}) {
      const where: string[] = [];
      const params: SqlValue[] = [];
      const add = (condition: string, value: SqlValue | undefined) => {
        if (value === undefined) return;
        where.push(condition);
        params.push(value);
      };
      add('event_type = ?', filter.eventType);
      add('event_id = ?', filter.eventId);
      add('endpoint_id = ?', filter.endpointId);
      // `delivering` is a pending row under a lease (see migration 2).
      if (filter.status === 'delivering') where.push("status = 'pending' AND lease_owner IS NOT NULL");
      else if (filter.status === 'pending') where.push("status = 'pending' AND lease_owner IS NULL");
      else add('status = ?', filter.status);
      add('id < ?', filter.beforeId);
      const limit = Math.min(Math.max(1, Math.floor(filter.limit ?? defaultPage)), maxPage);
      const rows = await executor.all<DeliveryRow>(
        `SELECT ${deliveryColumns()} FROM deliveries
         ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY id DESC LIMIT ?`,
        [...params, limit],
      );
      return rows.map(deliveryFromRow);
    },

    async getDelivery(id) {
      const rows = await executor.all<DeliveryRow & { body: string }>(
        `SELECT ${deliveryColumns('d')}, o.body AS body FROM deliveries d JOIN outbox o ON o.id = d.event_id
         WHERE d.id = ?`,
        [id],
      );
      const row = rows[0];
      if (!row) return undefined;
      // Every attempt, `attempts` rows and the succeeded one its row may hold (migration 12).
      const attempts = await executor.all<AttemptRow>(
        `SELECT ${attemptColumns} FROM attempt_log WHERE delivery_id = ? ORDER BY id`,
        [id],
      );
      return { ...deliveryFromRow(row), body: row.body, attemptLog: attempts.map(attemptFromRow) };
    },

    async retryDelivery(id, at) {
      try {
        await executor.transaction(async (tx) => {
          const moved = await tx.run(moveSucceededAttemptSql[executor.capabilities.name], [id, at]);
          const retried = await tx.run(`${retrySql} AND id = ?`, [at, at, at, id]);
          // The row changed between the two (its endpoint disabled meanwhile): undo the move.
          if (moved > retried) throw new RetryRaced();
        });
      } catch (error) {
        if (!(error instanceof RetryRaced)) throw error;
      }
      return deliveryById(id);
    },

    replayDeliveries(input) {
      return executor.run(
        `${retrySql} AND endpoint_id = ? AND status IN ('failed', 'disabled') AND created_at >= ? AND created_at < ?`,
        [input.at, input.at, input.at, input.endpointId, input.from, input.to],
      );
    },

    async deliveryStats(options = {}): Promise<DeliveryStats> {
      const history = options.history ?? true;
      const byStatus = Object.fromEntries(deliveryStatuses.map((status) => [status, 0])) as Record<
        DeliveryStatus,
        number
      >;
      // Without history: index-only counts of the unfinished rows (`unfinishedCountSql`), never a
      // row of the table.
      const counts = await executor.all<{ status: string; n: number; leased: number }>(
        history
          ? 'SELECT status, COUNT(*) AS n, COUNT(lease_owner) AS leased FROM deliveries GROUP BY status'
          : unfinishedCountSql[executor.capabilities.name],
      );
      for (const row of counts) byStatus[row.status as DeliveryStatus] = Number(row.n) - Number(row.leased);
      byStatus.delivering = counts.reduce((sum, row) => sum + Number(row.leased), 0);
      const [outbox] = await executor.all<{ n: number; oldest: number | null }>(
        'SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE dispatched_at IS NULL',
      );
      // Outbox ids grow with time, so the unfinished delivery of the smallest event id belongs to the
      // oldest event (see `oldestPendingEventSql`).
      const [oldestDelivery] = await executor.all<{ oldest: number | null }>(
        `SELECT created_at AS oldest FROM outbox WHERE id = (${oldestPendingEventSql[executor.capabilities.name]})`,
      );
      const candidates = [outbox?.oldest, oldestDelivery?.oldest]
        .filter((value): value is number => value !== null && value !== undefined)
        .map(Number);
      return {
        byStatus,
        history,
        undispatchedEvents: Number(outbox?.n ?? 0),
        oldestPendingAt: candidates.length > 0 ? Math.min(...candidates) : null,
      };
    },
  };
}
