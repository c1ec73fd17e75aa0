/**
 * @module The operations verb group of the `Store` (issue 13): the audit log of admin changes and
 * the reads behind the dashboard's `/api/stats/…` routes. Every read takes a time window and goes
 * through an index on that window's time column (migration 8) or reads the hourly rollups the
 * completion verb keeps (migration 10), so it stays fast with millions of deliveries.
 */

/** One change made through the admin API or the console, as recorded. */
export interface AuditEntryInput {
  at: number;
  method: string;
  /** The route PATTERN, e.g. `/api/contacts/:id` (never the path: no ids of people, no tokens). */
  route: string;
  status: number;
  /** The client's address (who changed something), never a recipient's. */
  sourceAddress: string;
  /** The console session's id; null for the admin API (bearer token). */
  sessionId: string | null;
}

/** A recorded change. */
export interface AuditEntry extends AuditEntryInput {
  id: number;
}

/** A time window [from, to) in ms. */
export interface TimeWindow {
  from: number;
  to: number;
}

/** Unsubscribes of one day (UTC), group and source. */
export interface UnsubscribeDayCount {
  /** Start of the UTC day, ms. */
  day: number;
  groupId: number;
  source: string;
  count: number;
}

/**
 * Attempts made in one hour, by the outcome each gave its delivery: `succeeded` (delivered),
 * `pending` with `retrying` (a retry is scheduled), `failed` or `disabled` (given up). Counted
 * when the attempt was recorded, so an hour's counts never change afterwards (a delivery retried
 * twice and then delivered counts two retries and one success, each in the hour of its attempt).
 */
export interface DeliveryHourCount {
  /** Start of the hour (of the attempt's start), ms. */
  hour: number;
  status: 'pending' | 'delivering' | 'succeeded' | 'failed' | 'disabled';
  /** True for `pending`: the attempt failed and a retry is scheduled. */
  retrying: boolean;
  count: number;
}

/** Attempt latency of one hour; quantiles to two significant digits (exact below 100 ms). */
export interface AttemptLatencyHour {
  hour: number;
  count: number;
  p50Ms: number;
  p99Ms: number;
}

/** The backlog right now. */
export interface BacklogStats {
  /** Deliveries waiting for an attempt (or a retry). */
  pendingDeliveries: number;
  /** Outbox events not yet fanned out to endpoints. */
  undispatchedEvents: number;
  /** Creation time of the oldest unfinished work (ms), or null. */
  oldestPendingAt: number | null;
}

/** An endpoint's health for the dashboard. */
export interface EndpointHealth {
  id: number;
  slot: string;
  eventType: string | null;
  url: string;
  state: 'enabled' | 'failing' | 'disabled';
  disabledReason: string | null;
  /** Start of the current failure run (ms), or null when healthy. */
  failingSince: number | null;
  /** Failed attempts since `failingSince` (0 when healthy). */
  failureStreak: number;
  /** The last error of its newest delivery that has one, e.g. `HTTP 500` or `timeout: …`. */
  lastError: string | null;
  lastErrorAt: number | null;
}

/** The operations verbs. */
export interface OperationsStore {
  /** Records one change (one INSERT). */
  appendAudit(entry: AuditEntryInput): Promise<AuditEntry>;
  /** Newest first; `beforeId` pages on (default and maximum page 200). */
  listAudit(options?: { beforeId?: number; limit?: number }): Promise<AuditEntry[]>;
  /** Groups left per UTC day, group and source in the window. */
  unsubscribesByDay(window: TimeWindow): Promise<UnsubscribeDayCount[]>;
  /** Attempts per hour by the outcome they gave their delivery, optionally of one endpoint. */
  deliveriesByHour(window: TimeWindow & { endpointId?: number }): Promise<DeliveryHourCount[]>;
  /** p50/p99 attempt duration per hour. */
  attemptLatencyByHour(window: TimeWindow): Promise<AttemptLatencyHour[]>;
  /** Pending deliveries, undispatched events and the oldest pending work. */
  backlogStats(): Promise<BacklogStats>;
  /** Every live endpoint with its state, failure run and last error. */
  endpointHealth(): Promise<EndpointHealth[]>;
}
