/**
 * @module The operations part of the store contract (issue 13): the audit log (newest first,
 * paging), the membership change history counted per day, group and source, deliveries per hour
 * by status and endpoint, attempt latency quantiles, the backlog and endpoint health. Run by each
 * backend's test file beside `runStoreContract`.
 */
import { describe, expect, test, type TestContext } from 'vitest';
import { openStore } from './openStore.js';
import { outboxEvent } from './outboxEvent.js';
import type { StoreContractOptions } from './storeContract.js';
import type { CompleteAttemptInput, Store } from './types.js';

const day = 86_400_000;
const hour = 3_600_000;
/** A UTC midnight, so day buckets are easy to read. */
const t0 = 1_700_006_400_000;
const secret = 'whsec_' + Buffer.alloc(24, 1).toString('base64');

/** Runs the operations contract against one backend. */
export function runOperationsContract(options: StoreContractOptions): void {
  describe.skipIf(options.skip ?? false)(`operations store contract: ${options.name}`, () => {
    const open = async (context: TestContext): Promise<Store> => {
      const store = await openStore(await options.makeDatabase(context));
      context.onTestFinished(() => store.close());
      return store;
    };

    test('audit log: appended entries come back newest first, paged by id', async (context) => {
      const store = await open(context);
      expect(await store.listAudit()).toEqual([]);
      const entries = [];
      for (let n = 0; n < 5; n += 1) {
        entries.push(
          await store.appendAudit({
            at: t0 + n,
            method: 'PUT',
            route: '/api/webhooks',
            status: 200,
            sourceAddress: '203.0.113.7',
            sessionId: n % 2 === 0 ? null : `session-${n}`,
          }),
        );
      }
      const all = await store.listAudit();
      expect(all.map((entry) => entry.at)).toEqual([t0 + 4, t0 + 3, t0 + 2, t0 + 1, t0]);
      expect(all[1]).toEqual({ ...entries[3], id: entries[3]?.id });
      expect(all[1]).toMatchObject({
        sessionId: 'session-3',
        sourceAddress: '203.0.113.7',
        route: '/api/webhooks',
      });
      const page = await store.listAudit({ beforeId: all[1]?.id ?? 0, limit: 2 });
      expect(page.map((entry) => entry.at)).toEqual([t0 + 2, t0 + 1]);
    });

    test('audit log retention: the oldest entries go in bounded steps, newer ones stay', async (context) => {
      const store = await open(context);
      expect(await store.pruneAudit({ before: t0 + day, limit: 10 })).toBe(0);
      const append = (at: number) =>
        store.appendAudit({
          at,
          method: 'POST',
          route: '/api/contacts',
          status: 201,
          sourceAddress: '198.51.100.2',
          sessionId: null,
        });
      for (let n = 0; n < 5; n += 1) await append(t0 + n);
      // A clock that stepped back: older than the cut-off, but after a newer entry in the log.
      await append(t0 + 2 * day);
      await append(t0 + 10);
      expect(await store.pruneAudit({ before: t0 + day, limit: 3 })).toBe(3);
      expect(await store.pruneAudit({ before: t0 + day, limit: 3 })).toBe(2);
      expect(await store.pruneAudit({ before: t0 + day, limit: 3 })).toBe(0);
      expect((await store.listAudit()).map((entry) => entry.at)).toEqual([t0 + 10, t0 + 2 * day]);
      // Once the newer one ages out too, the out-of-order one goes with it.
      expect(await store.pruneAudit({ before: t0 + 3 * day, limit: 10 })).toBe(2);
      expect(await store.listAudit()).toEqual([]);
    });

    test('unsubscribes by day, group and source come from the membership change history', async (context) => {
      const store = await open(context);
      const news = await store.createGroup({ name: 'News', systemName: 'news', channel: 'email' }, t0);
      const promo = await store.createGroup({ name: 'Promo', systemName: 'promo', channel: 'email' }, t0);
      const contacts = [];
      for (const email of ['a@example.com', 'b@example.com', 'c@example.com']) {
        contacts.push(
          (
            await store.createContact(
              { email, groupIds: [news.id, promo.id], source: 'api', at: t0 },
              () => [],
            )
          ).value,
        );
      }
      const change = (contactId: number, unsubscribe: number[] | 'all', source: string, at: number) =>
        store.changeMemberships({ contactId, channel: 'email', unsubscribe, source, at }, () => []);
      await change(contacts[0]!.id, [news.id], 'link', t0 + hour);
      await change(contacts[1]!.id, [news.id], 'link', t0 + 2 * hour);
      await change(contacts[1]!.id, [news.id], 'link', t0 + 3 * hour); // a repeat changes nothing
      await change(contacts[2]!.id, 'all', 'one-click', t0 + day + 5);
      await store.changeMemberships(
        {
          contactId: contacts[0]!.id,
          channel: 'email',
          subscribe: [news.id],
          source: 'manager',
          at: t0 + day,
        },
        () => [],
      );
      await change(contacts[0]!.id, [news.id], 'manager', t0 + 2 * day); // outside the window below
      expect(await store.unsubscribesByDay({ from: t0, to: t0 + 2 * day })).toEqual([
        { day: t0, groupId: news.id, source: 'link', count: 2 },
        { day: t0 + day, groupId: news.id, source: 'one-click', count: 1 },
        { day: t0 + day, groupId: promo.id, source: 'one-click', count: 1 },
      ]);
    });

    test('deliveries by hour, attempt latency, backlog and endpoint health', async (context) => {
      const store = await open(context);
      const good = await store.putEndpoint({ eventType: null, url: 'http://good.test/', secret, at: t0 });
      const bad = await store.putEndpoint({
        eventType: 'message sent',
        url: 'http://bad.test/',
        secret,
        at: t0,
      });
      expect(await store.backlogStats()).toEqual({
        pendingDeliveries: 0,
        undispatchedEvents: 0,
        oldestPendingAt: null,
      });
      await store.appendEvents(
        [
          outboxEvent({ event: 'message sent', n: 1 }),
          outboxEvent({ event: 'message sent', n: 2 }),
          outboxEvent({ event: 'mailing group unsubscribe', n: 3 }),
          outboxEvent({ event: 'mailing group unsubscribe', n: 4 }),
        ],
        t0,
      );
      expect(await store.backlogStats()).toEqual({
        pendingDeliveries: 0,
        undispatchedEvents: 4,
        oldestPendingAt: t0,
      });
      await store.fanOutPending(t0 + 1, 100);
      expect(await store.backlogStats()).toEqual({
        pendingDeliveries: 4,
        undispatchedEvents: 0,
        oldestPendingAt: t0 + 1,
      });
      const claimed = await store.claimDeliveries({ owner: 'w', now: t0 + 2, leaseMs: 60_000, limit: 10 });
      expect(claimed).toHaveLength(4);
      const results: CompleteAttemptInput[] = claimed.map((delivery, n) => {
        const failing = delivery.endpointId === bad.id;
        return {
          deliveryId: delivery.id,
          owner: delivery.leaseOwner ?? 'w',
          outcome: failing ? (n % 2 === 0 ? 'failed' : 'pending') : 'succeeded',
          nextAttemptAt: failing && n % 2 === 1 ? t0 + 2 * hour : null,
          at: t0 + hour + n,
          attempt: {
            at: t0 + hour + n,
            status: failing ? 500 : 204,
            durationMs: [10, 20, 30, 400][n] ?? 1,
            error: null,
            responseExcerpt: '',
          },
        };
      });
      await store.completeAttempts(results);

      const byHour = await store.deliveriesByHour({ from: t0, to: t0 + 2 * hour });
      const count = (status: string, retrying = false) =>
        byHour
          .filter((row) => row.hour === t0 + hour && row.status === status && row.retrying === retrying)
          .reduce((sum, row) => sum + row.count, 0);
      expect(count('succeeded')).toBe(2);
      expect(count('failed') + count('pending', true)).toBe(2);
      const badOnly = await store.deliveriesByHour({ from: t0, to: t0 + 2 * hour, endpointId: bad.id });
      expect(badOnly.reduce((sum, row) => sum + row.count, 0)).toBe(2);
      expect(badOnly.every((row) => row.status !== 'succeeded')).toBe(true);
      expect(await store.deliveriesByHour({ from: t0 + 2 * hour, to: t0 + 3 * hour })).toEqual([]);

      expect(await store.attemptLatencyByHour({ from: t0, to: t0 + 2 * hour })).toEqual([
        { hour: t0 + hour, count: 4, p50Ms: 20, p99Ms: 400 },
      ]);

      const health = await store.endpointHealth();
      expect(health.map((endpoint) => endpoint.id)).toEqual([good.id, bad.id]);
      expect(health[0]).toMatchObject({
        state: 'enabled',
        failingSince: null,
        failureStreak: 0,
        lastError: null,
      });
      expect(health[1]).toMatchObject({
        state: 'failing',
        failureStreak: 2,
        lastError: 'HTTP 500',
        url: 'http://bad.test/',
      });
      expect(health[1]?.failingSince).toEqual(expect.any(Number));
    });
  });
}
