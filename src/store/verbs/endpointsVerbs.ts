/**
 * @module Webhook endpoint verbs: one live endpoint per slot (an event type, or the common URL),
 * its URL and rotating secrets, enabling/disabling, and the record of URL tests (test-before-save).
 */
import type { SqlExecutor, SqlSession } from '../sqlExecutor.js';
import { StoreError } from '../storeError.js';
import type {
  EndpointTest,
  PutEndpointInput,
  WebhookEndpoint,
  WebhooksStore,
  WebhookSecret,
} from '../types.js';
import {
  endpointColumns,
  endpointFromRow,
  endpointTestFromRow,
  slotOf,
  type EndpointRow,
  type EndpointTestRow,
} from './webhookRows.js';

/** How long a rotated-out secret keeps signing beside the new one. */
export const secretOverlapMs = 24 * 60 * 60 * 1000;

/** URL tests older than this are pruned when a new one is recorded (the API looks back 15 min). */
const keepTestsMs = 24 * 60 * 60 * 1000;

/** The endpoint verbs of `WebhooksStore`. */
export type EndpointsVerbs = Pick<
  WebhooksStore,
  | 'listEndpoints'
  | 'getEndpoint'
  | 'findEndpoint'
  | 'endpointFor'
  | 'putEndpoint'
  | 'removeEndpoint'
  | 'saveEndpoints'
  | 'rotateEndpointSecret'
  | 'disableEndpoint'
  | 'enableEndpoint'
  | 'recordEndpointTest'
  | 'lastEndpointTest'
>;

/** @throws StoreError `invalid_input` naming `field` when `value` is not a non-empty string. */
function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new StoreError('invalid_input', `${field} must be a non-empty string`, { field });
  return value;
}

/**
 * Pending deliveries of an endpoint that can no longer be attempted become `disabled` (replayable
 * later). Those a worker holds are left to it (`completeAttempts` parks a retry as `disabled`);
 * those whose lease expired (a dead worker's) are parked too, as no one will claim them now.
 */
export async function parkPendingDeliveries(tx: SqlSession, endpointId: number, at: number): Promise<number> {
  return tx.run(
    `UPDATE deliveries SET status = 'disabled', next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL,
       updated_at = ?
     WHERE endpoint_id = ? AND status = 'pending' AND (lease_expires_at IS NULL OR lease_expires_at <= ?)`,
    [at, endpointId, at],
  );
}

/**
 * Sets a slot's URL: creates the endpoint or changes its URL (keeping its secrets), enabled and
 * with its failure run cleared. One statement, so two concurrent saves of a new slot cannot both
 * insert: the partial unique index on live slots turns the second into an update.
 */
async function upsertEndpoint(
  session: SqlSession,
  input: PutEndpointInput,
  fields: { url: string; secret: string },
): Promise<WebhookEndpoint> {
  const url = requireText(input.url, fields.url);
  const secret = requireText(input.secret, fields.secret);
  const secrets: WebhookSecret[] = [{ secret, createdAt: input.at, expiresAt: null }];
  const rows = await session.all<EndpointRow>(
    `INSERT INTO endpoints (slot, event_type, url, secrets, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (slot) WHERE removed_at IS NULL DO UPDATE SET
       url = excluded.url, disabled_at = NULL, disabled_reason = NULL, first_failure_at = NULL,
       failure_streak = 0, updated_at = excluded.updated_at
     RETURNING ${endpointColumns}`,
    [slotOf(input.eventType), input.eventType, url, JSON.stringify(secrets), input.at, input.at],
  );
  return endpointFromRow(rows[0] as EndpointRow);
}

/** Removes a slot's live endpoint and parks its deliveries; false when the slot was empty. */
async function removeSlot(tx: SqlSession, eventType: string | null, at: number): Promise<boolean> {
  const rows = await tx.all<{ id: number }>(
    `UPDATE endpoints SET removed_at = ?, updated_at = ? WHERE slot = ? AND removed_at IS NULL RETURNING id`,
    [at, at, slotOf(eventType)],
  );
  const row = rows[0];
  if (!row) return false;
  await parkPendingDeliveries(tx, Number(row.id), at);
  return true;
}

/** The endpoint verbs on one executor. */
export function createEndpointsVerbs(executor: SqlExecutor): EndpointsVerbs {
  const byId = async (session: SqlSession, id: number, lock = ''): Promise<WebhookEndpoint | undefined> => {
    const rows = await session.all<EndpointRow>(
      `SELECT ${endpointColumns} FROM endpoints WHERE id = ?${lock}`,
      [id],
    );
    return rows[0] ? endpointFromRow(rows[0]) : undefined;
  };

  return {
    async listEndpoints() {
      // '*' sorts before letters, so the common URL comes first.
      const rows = await executor.all<EndpointRow>(
        `SELECT ${endpointColumns} FROM endpoints WHERE removed_at IS NULL ORDER BY slot`,
      );
      return rows.map(endpointFromRow);
    },

    getEndpoint(id) {
      return byId(executor, id);
    },

    async findEndpoint(eventType) {
      const rows = await executor.all<EndpointRow>(
        `SELECT ${endpointColumns} FROM endpoints WHERE slot = ? AND removed_at IS NULL`,
        [slotOf(eventType)],
      );
      return rows[0] ? endpointFromRow(rows[0]) : undefined;
    },

    async endpointFor(eventType) {
      // Per-event wins over common: the event type's own slot sorts after '*', so DESC puts it first.
      const rows = await executor.all<EndpointRow>(
        `SELECT ${endpointColumns} FROM endpoints
         WHERE slot IN (?, ?) AND removed_at IS NULL ORDER BY slot DESC LIMIT 1`,
        [slotOf(eventType), slotOf(null)],
      );
      return rows[0] ? endpointFromRow(rows[0]) : undefined;
    },

    async putEndpoint(input) {
      return upsertEndpoint(executor, input, { url: 'url', secret: 'secret' });
    },

    removeEndpoint(eventType, at) {
      return executor.transaction((tx) => removeSlot(tx, eventType, at));
    },

    async saveEndpoints(changes, at) {
      // Checked before the transaction: a bad change names itself and nothing is written.
      changes.forEach((change, index) => {
        if (change.url === null) return;
        requireText(change.url, `changes[${index}].url`);
        requireText(change.secret, `changes[${index}].secret`);
      });
      return executor.transaction(async (tx) => {
        for (const [index, change] of changes.entries()) {
          if (change.url === null) await removeSlot(tx, change.eventType, at);
          else
            await upsertEndpoint(
              tx,
              { eventType: change.eventType, url: change.url, secret: change.secret ?? '', at },
              { url: `changes[${index}].url`, secret: `changes[${index}].secret` },
            );
          if (change.clearSetting !== undefined)
            await tx.run('DELETE FROM settings WHERE key = ?', [change.clearSetting]);
        }
      });
    },

    rotateEndpointSecret(endpointId, input) {
      const secret = requireText(input.secret, 'secret');
      const overlapMs = input.overlapMs ?? secretOverlapMs;
      return executor.transaction(async (tx) => {
        // Locked so two concurrent rotations do not both start from the same list and lose one.
        const endpoint = await byId(tx, endpointId, executor.capabilities.lockRowsSuffix);
        if (!endpoint || endpoint.removedAt !== null) {
          throw new StoreError('endpoint_not_found', `webhook endpoint ${endpointId} does not exist`, {
            field: 'endpointId',
          });
        }
        const until = input.at + overlapMs;
        const kept = endpoint.secrets
          .filter((old) => old.expiresAt === null || old.expiresAt > input.at)
          .map((old) => ({
            ...old,
            expiresAt: old.expiresAt === null ? until : Math.min(old.expiresAt, until),
          }));
        const secrets: WebhookSecret[] = [{ secret, createdAt: input.at, expiresAt: null }, ...kept];
        const rows = await tx.all<EndpointRow>(
          `UPDATE endpoints SET secrets = ?, updated_at = ? WHERE id = ? RETURNING ${endpointColumns}`,
          [JSON.stringify(secrets), input.at, endpointId],
        );
        return endpointFromRow(rows[0] as EndpointRow);
      });
    },

    disableEndpoint(endpointId, input) {
      return executor.transaction(async (tx) => {
        const changed = await tx.run(
          `UPDATE endpoints SET disabled_at = ?, disabled_reason = ?, updated_at = ?
           WHERE id = ? AND disabled_at IS NULL`,
          [input.at, input.reason, input.at, endpointId],
        );
        if (changed > 0) await parkPendingDeliveries(tx, endpointId, input.at);
        return byId(tx, endpointId);
      });
    },

    async enableEndpoint(endpointId, at) {
      const rows = await executor.all<EndpointRow>(
        `UPDATE endpoints SET disabled_at = NULL, disabled_reason = NULL, first_failure_at = NULL, failure_streak = 0,
           updated_at = ?
         WHERE id = ? RETURNING ${endpointColumns}`,
        [at, endpointId],
      );
      return rows[0] ? endpointFromRow(rows[0]) : undefined;
    },

    async recordEndpointTest(test: EndpointTest) {
      await executor.transaction(async (tx) => {
        await tx.run('DELETE FROM endpoint_tests WHERE at < ?', [test.at - keepTestsMs]);
        await tx.run('INSERT INTO endpoint_tests (url, ok, status, duration_ms, at) VALUES (?, ?, ?, ?, ?)', [
          requireText(test.url, 'url'),
          test.ok ? 1 : 0,
          test.status,
          Math.round(test.durationMs),
          test.at,
        ]);
      });
    },

    async lastEndpointTest(url, options = {}) {
      const rows = await executor.all<EndpointTestRow>(
        `SELECT url, ok, status, duration_ms, at FROM endpoint_tests
         WHERE url = ?${options.passed ? ' AND ok = 1' : ''} ORDER BY at DESC, id DESC LIMIT 1`,
        [url],
      );
      return rows[0] ? endpointTestFromRow(rows[0]) : undefined;
    },
  };
}
