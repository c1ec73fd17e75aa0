/**
 * @module The webhook part of the store contract: endpoints, URL tests, fan-out, leases with
 * fencing, the delivery log and stats. Run by each backend's test file beside `runStoreContract`.
 */
import { describe, expect, test, type TestContext } from 'vitest';
import { openStore } from './openStore.js';
import { outboxEvent } from './outboxEvent.js';
import type { StoreContractOptions } from './storeContract.js';
import { activeSecrets, type CompleteAttemptInput, type Store } from './types.js';

const t0 = 1_700_000_000_000;
const hour = 3_600_000;
const secretA = 'whsec_' + Buffer.alloc(24, 1).toString('base64');
const secretB = 'whsec_' + Buffer.alloc(24, 2).toString('base64');

const unsubscribe = (n: number) => outboxEvent({ event: 'mailing group unsubscribe', n });
const sent = (n: number) => outboxEvent({ event: 'message sent', n });

/** An attempt result with sensible defaults. */
function result(
  deliveryId: number,
  owner: string,
  outcome: CompleteAttemptInput['outcome'],
  extra: Partial<CompleteAttemptInput> = {},
): CompleteAttemptInput {
  return {
    deliveryId,
    owner,
    outcome,
    at: t0 + 10,
    attempt: {
      at: t0 + 5,
      status: outcome === 'succeeded' ? 204 : 500,
      durationMs: 3,
      error: null,
      responseExcerpt: 'ok',
    },
    ...extra,
  };
}

/** Runs the webhook verbs' contract against one backend. */
export function runWebhooksContract(options: StoreContractOptions): void {
  describe.skipIf(options.skip ?? false)(`webhooks store contract: ${options.name}`, () => {
    const open = async (context: TestContext): Promise<Store> => {
      const store = await openStore(await options.makeDatabase(context));
      context.onTestFinished(() => store.close());
      return store;
    };

    /** Three stores on one database, a common endpoint, and `count` undispatched events. */
    const threeStoresWithEvents = async (context: TestContext, count: number) => {
      const database = await options.makeDatabase(context);
      const stores = await Promise.all([openStore(database), openStore(database), openStore(database)]);
      context.onTestFinished(async () => {
        for (const store of stores) await store.close();
      });
      const a = stores[0] as Store;
      await a.putEndpoint({ eventType: null, url: 'http://a.test/', secret: secretA, at: t0 });
      await a.appendEvents(
        Array.from({ length: count }, (_, n) => sent(n)),
        t0,
      );
      return { stores, a };
    };

    test('endpoints: one per slot, per-event wins over common, URL change keeps secrets', async (context) => {
      const store = await open(context);
      expect(await store.endpointFor('message sent')).toBeUndefined();
      const common = await store.putEndpoint({
        eventType: null,
        url: 'http://a.test/all',
        secret: secretA,
        at: t0,
      });
      expect(common).toMatchObject({
        eventType: null,
        url: 'http://a.test/all',
        disabledAt: null,
        removedAt: null,
      });
      expect(common.secrets).toEqual([{ secret: secretA, createdAt: t0, expiresAt: null }]);
      const own = await store.putEndpoint({
        eventType: 'mailing group unsubscribe',
        url: 'http://a.test/unsub',
        secret: secretB,
        at: t0,
      });
      expect((await store.endpointFor('mailing group unsubscribe'))?.id).toBe(own.id);
      expect((await store.endpointFor('message sent'))?.id).toBe(common.id);
      expect((await store.listEndpoints()).map((e) => e.eventType)).toEqual([
        null,
        'mailing group unsubscribe',
      ]);

      const moved = await store.putEndpoint({
        eventType: null,
        url: 'http://b.test/',
        secret: secretB,
        at: t0 + 1,
      });
      expect(moved).toMatchObject({ id: common.id, url: 'http://b.test/', updatedAt: t0 + 1 });
      expect(moved.secrets.map((s) => s.secret)).toEqual([secretA]);

      expect(await store.removeEndpoint(null, t0 + 2)).toBe(true);
      expect(await store.removeEndpoint(null, t0 + 2)).toBe(false);
      expect(await store.findEndpoint(null)).toBeUndefined();
      expect((await store.getEndpoint(common.id))?.removedAt).toBe(t0 + 2);
      const again = await store.putEndpoint({
        eventType: null,
        url: 'http://c.test/',
        secret: secretB,
        at: t0 + 3,
      });
      expect(again.id).not.toBe(common.id);
      await expect(
        store.putEndpoint({ eventType: null, url: ' ', secret: secretA, at: t0 }),
      ).rejects.toMatchObject({ code: 'invalid_input', field: 'url' });
    });

    test('endpoints: rotation keeps the old secret signing for the overlap only', async (context) => {
      const store = await open(context);
      const endpoint = await store.putEndpoint({
        eventType: null,
        url: 'http://a.test/',
        secret: secretA,
        at: t0,
      });
      const rotated = await store.rotateEndpointSecret(endpoint.id, { secret: secretB, at: t0 + hour });
      expect(rotated.secrets[0]).toEqual({ secret: secretB, createdAt: t0 + hour, expiresAt: null });
      expect(activeSecrets(rotated, t0 + hour)).toEqual([secretB, secretA]);
      expect(activeSecrets(rotated, t0 + 25 * hour)).toEqual([secretB]);
      // A second rotation long after drops the expired secret.
      const third = await store.rotateEndpointSecret(endpoint.id, { secret: secretA, at: t0 + 48 * hour });
      expect(third.secrets.map((s) => s.secret)).toEqual([secretA, secretB]);
      await expect(store.rotateEndpointSecret(9999, { secret: secretA, at: t0 })).rejects.toMatchObject({
        code: 'endpoint_not_found',
        field: 'endpointId',
      });
    });

    test('saveEndpoints: several slots in one transaction, all or nothing', async (context) => {
      const store = await open(context);
      await store.putEndpoint({ eventType: null, url: 'http://old.test/', secret: secretA, at: t0 });
      await store.setSetting('webhooks.pending_secret.message sent', secretB, t0);
      // A bad change (an empty URL) names itself, and the good ones before it are not written.
      await expect(
        store.saveEndpoints(
          [
            { eventType: 'message sent', url: 'http://a.test/sent', secret: secretB },
            { eventType: 'complaint', url: '', secret: secretB },
          ],
          t0 + 1,
        ),
      ).rejects.toMatchObject({ code: 'invalid_input', field: 'changes[1].url' });
      expect(await store.findEndpoint('message sent')).toBeUndefined();

      await store.saveEndpoints(
        [
          { eventType: null, url: null },
          {
            eventType: 'message sent',
            url: 'http://a.test/sent',
            secret: secretB,
            clearSetting: 'webhooks.pending_secret.message sent',
          },
        ],
        t0 + 2,
      );
      expect(await store.findEndpoint(null)).toBeUndefined();
      expect(await store.findEndpoint('message sent')).toMatchObject({
        url: 'http://a.test/sent',
        secrets: [{ secret: secretB }],
      });
      expect(await store.getSetting('webhooks.pending_secret.message sent')).toBeUndefined();
      // Changing a URL keeps the endpoint's secrets, as `putEndpoint` does.
      await store.saveEndpoints(
        [{ eventType: 'message sent', url: 'http://b.test/', secret: secretA }],
        t0 + 3,
      );
      expect(await store.findEndpoint('message sent')).toMatchObject({
        url: 'http://b.test/',
        secrets: [{ secret: secretB }],
      });
    });

    test('endpoint tests: newest test of a URL, passed ones on request', async (context) => {
      const store = await open(context);
      await store.recordEndpointTest({ url: 'http://a.test/', ok: true, status: 204, durationMs: 4, at: t0 });
      await store.recordEndpointTest({
        url: 'http://a.test/',
        ok: false,
        status: 500,
        durationMs: 5,
        at: t0 + 1,
      });
      expect(await store.lastEndpointTest('http://a.test/')).toEqual({
        url: 'http://a.test/',
        ok: false,
        status: 500,
        durationMs: 5,
        at: t0 + 1,
      });
      expect((await store.lastEndpointTest('http://a.test/', { passed: true }))?.at).toBe(t0);
      expect(await store.lastEndpointTest('http://other.test/')).toBeUndefined();
    });

    test('fan-out: one delivery per matching endpoint, disabled ones parked, idempotent', async (context) => {
      const store = await open(context);
      const common = await store.putEndpoint({
        eventType: null,
        url: 'http://a.test/',
        secret: secretA,
        at: t0,
      });
      const own = await store.putEndpoint({
        eventType: 'mailing group unsubscribe',
        url: 'http://a.test/u',
        secret: secretA,
        at: t0,
      });
      await store.appendEvents([unsubscribe(1), sent(2)], t0);
      expect(await store.fanOutPending(t0 + 1, 100)).toEqual({ events: 2, deliveries: 2 });
      expect(await store.fanOutPending(t0 + 2, 100)).toEqual({ events: 0, deliveries: 0 });
      const [second, first] = await store.listDeliveries();
      expect(first).toMatchObject({
        endpointId: own.id,
        eventType: 'mailing group unsubscribe',
        status: 'pending',
      });
      expect(second).toMatchObject({
        endpointId: common.id,
        eventType: 'message sent',
        nextAttemptAt: t0 + 1,
      });
      expect(first?.webhookId).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
      expect(first?.webhookId).not.toBe(second?.webhookId);
      expect(await store.listOutbox({ pending: true })).toEqual([]);

      await store.disableEndpoint(common.id, { reason: 'manual', at: t0 + 3 });
      await store.appendEvents([sent(3)], t0 + 3);
      expect(await store.fanOutPending(t0 + 4, 100)).toEqual({ events: 1, deliveries: 1 });
      expect((await store.listDeliveries({ limit: 1 }))[0]?.status).toBe('disabled');
      // No endpoint at all: the event is dispatched with no delivery.
      await store.removeEndpoint(null, t0 + 5);
      await store.appendEvents([sent(4)], t0 + 5);
      expect(await store.fanOutPending(t0 + 6, 100)).toEqual({ events: 1, deliveries: 0 });
    });

    test('fan-out from several stores at once creates each delivery once', async (context) => {
      const { stores, a } = await threeStoresWithEvents(context, 300);
      const runs = await Promise.all(
        stores.flatMap((store) => [1, 2, 3].map(() => store.fanOutPending(t0 + 1, 40))),
      );
      let total = runs.reduce((sum, run) => sum + run.deliveries, 0);
      for (;;) {
        const more = await a.fanOutPending(t0 + 1, 100);
        total += more.deliveries;
        if (more.events === 0) break;
      }
      expect(total).toBe(300);
      const stats = await a.deliveryStats();
      expect(stats.byStatus.pending).toBe(300);
      expect(stats.undispatchedEvents).toBe(0);
      expect(stats.oldestPendingAt).toBe(t0);
    });

    test('fan-out with a claim: leased at once within the limits, the rest waits', async (context) => {
      const store = await open(context);
      const busy = await store.putEndpoint({
        eventType: 'message sent',
        url: 'http://busy.test/',
        secret: secretA,
        at: t0,
      });
      const quiet = await store.putEndpoint({
        eventType: null,
        url: 'http://quiet.test/',
        secret: secretB,
        at: t0,
      });
      // Outbox order: 4 for busy, 1 for quiet, 4 for busy, 1 for quiet.
      await store.appendEvents([sent(1), sent(2), sent(3), sent(4), unsubscribe(5)], t0);
      await store.appendEvents([sent(6), sent(7), sent(8), sent(9), unsubscribe(10)], t0);
      const claim = {
        owner: 'w1#1',
        leaseMs: 1000,
        limit: 4,
        perEndpointLimit: 3,
        inFlight: new Map([[busy.id, 1]]),
      };
      const first = await store.fanOutPending(t0 + 1, 100, claim);
      // busy has room for 2 (cap 3, 1 held): events 1 and 2 leased; 3 and 4 created unleased;
      // quiet's event 5 leased; busy's 6–9 unleased; quiet's 10 takes the fourth lease. Then the
      // claim limit is reached and fan-out stops: nothing is left, here, but it stopped at the limit.
      expect(first.events).toBe(10);
      expect(first.deliveries).toBe(10);
      const claimed = first.claimed ?? [];
      expect(claimed.map((d) => [JSON.parse(d.body).n, d.endpointId])).toEqual([
        [1, busy.id],
        [2, busy.id],
        [5, quiet.id],
        [10, quiet.id],
      ]);
      expect(claimed[2]).toMatchObject({
        status: 'delivering',
        eventType: 'mailing group unsubscribe',
        attempts: 0,
        nextAttemptAt: t0 + 1,
        leaseOwner: 'w1#1',
        leaseExpiresAt: t0 + 1001,
        url: 'http://quiet.test/',
        secrets: [{ secret: secretB }],
        endpointFirstFailureAt: null,
        createdAt: t0 + 1,
      });
      expect(claimed[2]?.webhookId).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
      // The log agrees with what was returned.
      const logged = await store.getDelivery(claimed[0]?.id ?? 0);
      expect(logged).toMatchObject({
        status: 'delivering',
        leaseOwner: 'w1#1',
        webhookId: claimed[0]?.webhookId,
      });
      // The unleased ones are claimable by anyone; the leased ones are not.
      const rest = await store.claimDeliveries({ owner: 'w2', now: t0 + 1, leaseMs: 1000, limit: 100 });
      expect(rest.map((d) => JSON.parse(d.body).n).sort((a, b) => a - b)).toEqual([3, 4, 6, 7, 8, 9]);
      // A leased delivery completes under its lease like a claimed one.
      expect(await store.completeAttempts([result(claimed[0]?.id ?? 0, 'w1#1', 'succeeded')])).toEqual([
        true,
      ]);

      // The claim limit stops fan-out: later events stay in the outbox for the next call.
      await store.appendEvents([unsubscribe(11), unsubscribe(12), unsubscribe(13)], t0 + 2);
      const limited = await store.fanOutPending(t0 + 3, 100, { owner: 'w1#2', leaseMs: 1000, limit: 2 });
      expect(limited).toMatchObject({ events: 2, deliveries: 2 });
      expect(limited.claimed?.map((d) => JSON.parse(d.body).n)).toEqual([11, 12]);
      expect((await store.deliveryStats()).undispatchedEvents).toBe(1);
      // A disabled endpoint's events are parked as before, taking no lease.
      await store.disableEndpoint(quiet.id, { reason: 'manual', at: t0 + 4 });
      const parked = await store.fanOutPending(t0 + 5, 100, { owner: 'w1#3', leaseMs: 1000, limit: 5 });
      expect(parked).toEqual({ events: 1, deliveries: 1, claimed: [], held: 0 });
      expect((await store.listDeliveries({ limit: 1 }))[0]?.status).toBe('disabled');
      expect(await store.fanOutPending(t0 + 6, 100, { owner: 'w1#4', leaseMs: 1000, limit: 5 })).toEqual({
        events: 0,
        deliveries: 0,
        claimed: [],
      });
    });

    test('fan-out with claims from several stores at once leases each delivery once', async (context) => {
      const { stores, a } = await threeStoresWithEvents(context, 300);
      const runs = await Promise.all(
        stores.flatMap((store, s) =>
          [1, 2, 3, 4].map((n) =>
            store.fanOutPending(t0 + 1, 100, { owner: `w${s}#${n}`, leaseMs: 1000, limit: 30 }),
          ),
        ),
      );
      const leased = runs.flatMap((run) => run.claimed ?? []);
      // PostgreSQL's SKIP LOCKED may leave a call short while others hold rows: sweep up the rest.
      for (;;) {
        const more = await a.fanOutPending(t0 + 1, 100, { owner: 'w9', leaseMs: 1000, limit: 100 });
        leased.push(...(more.claimed ?? []));
        if (more.events === 0) break;
      }
      expect(leased).toHaveLength(300);
      expect(new Set(leased.map((d) => d.id)).size).toBe(300);
      expect(new Set(leased.map((d) => d.eventId)).size).toBe(300);
      const stats = await a.deliveryStats();
      expect(stats.byStatus.delivering).toBe(300);
      expect(stats.undispatchedEvents).toBe(0);
    });

    test('claims: due only, leased, fair across endpoints, capped per endpoint', async (context) => {
      const store = await open(context);
      const busy = await store.putEndpoint({
        eventType: 'message sent',
        url: 'http://busy.test/',
        secret: secretA,
        at: t0,
      });
      const quiet = await store.putEndpoint({
        eventType: null,
        url: 'http://quiet.test/',
        secret: secretB,
        at: t0,
      });
      await store.appendEvents(
        Array.from({ length: 20 }, (_, n) => sent(n)),
        t0,
      );
      await store.appendEvents([unsubscribe(1), unsubscribe(2)], t0);
      await store.fanOutPending(t0, 100);
      expect(await store.claimDeliveries({ owner: 'w1', now: t0 - 1, leaseMs: 1000, limit: 10 })).toEqual([]);

      const claimed = await store.claimDeliveries({
        owner: 'w1',
        now: t0,
        leaseMs: 1000,
        limit: 6,
        perEndpointLimit: 4,
      });
      const perEndpoint = (endpointId: number) => claimed.filter((d) => d.endpointId === endpointId).length;
      expect(perEndpoint(quiet.id)).toBe(2);
      expect(perEndpoint(busy.id)).toBe(4);
      const one = claimed.find((d) => d.endpointId === quiet.id);
      expect(one).toMatchObject({
        status: 'delivering',
        leaseOwner: 'w1',
        leaseExpiresAt: t0 + 1000,
        url: 'http://quiet.test/',
        secrets: [{ secret: secretB }],
        endpointFirstFailureAt: null,
      });
      expect(JSON.parse(one?.body ?? '{}')).toMatchObject({ event: 'mailing group unsubscribe' });
      // In-flight work counts against the cap: the busy endpoint has no room for w1 now.
      const inFlight = new Map([[busy.id, 4]]);
      expect(
        await store.claimDeliveries({
          owner: 'w1',
          now: t0,
          leaseMs: 1000,
          limit: 10,
          perEndpointLimit: 4,
          inFlight,
        }),
      ).toEqual([]);
      // Another worker gets the rest, never what w1 holds.
      const other = await store.claimDeliveries({ owner: 'w2', now: t0, leaseMs: 1000, limit: 100 });
      expect(other).toHaveLength(16);
      const ids = new Set(claimed.map((d) => d.id));
      expect(other.some((d) => ids.has(d.id))).toBe(false);
      // Leases expire: a dead worker's deliveries are claimable again.
      const taken = await store.claimDeliveries({ owner: 'w3', now: t0 + 1000, leaseMs: 1000, limit: 100 });
      expect(taken).toHaveLength(22);
    });

    test('completing: fenced by the lease, retries, failure runs, 410 disables', async (context) => {
      const store = await open(context);
      const endpoint = await store.putEndpoint({
        eventType: null,
        url: 'http://a.test/',
        secret: secretA,
        at: t0,
      });
      await store.appendEvents([sent(1), sent(2), sent(3)], t0);
      await store.fanOutPending(t0, 10);
      const [d1, d2, d3] = await store.claimDeliveries({ owner: 'old', now: t0, leaseMs: 100, limit: 10 });
      if (!d1 || !d2 || !d3) throw new Error('expected three claims');
      // The lease of `old` expires and `new` takes d1 over: old's late result must not count.
      const [again] = await store.claimDeliveries({ owner: 'new', now: t0 + 100, leaseMs: 100, limit: 1 });
      expect(again?.id).toBe(d1.id);
      const applied = await store.completeAttempts([
        result(d1.id, 'old', 'succeeded'),
        result(d2.id, 'old', 'pending', { nextAttemptAt: t0 + 500 }),
        result(d3.id, 'old', 'failed', {
          attempt: { at: t0 + 6, status: 302, durationMs: 1, error: null, responseExcerpt: '' },
        }),
      ]);
      expect(applied).toEqual([false, true, true]);
      expect(await store.getDelivery(d1.id)).toMatchObject({
        status: 'delivering',
        leaseOwner: 'new',
        attempts: 0,
        attemptLog: [],
      });
      const retried = await store.getDelivery(d2.id);
      expect(retried).toMatchObject({
        status: 'pending',
        attempts: 1,
        nextAttemptAt: t0 + 500,
        lastStatus: 500,
        leaseOwner: null,
      });
      expect(retried?.attemptLog).toEqual([
        expect.objectContaining({
          deliveryId: d2.id,
          at: t0 + 5,
          status: 500,
          durationMs: 3,
          worker: 'old',
          responseExcerpt: 'ok',
        }),
      ]);
      expect((await store.getDelivery(d3.id))?.status).toBe('failed');
      expect((await store.getEndpoint(endpoint.id))?.firstFailureAt).toBe(t0 + 5);

      // A success ends the failure run.
      expect(await store.completeAttempts([result(d1.id, 'new', 'succeeded')])).toEqual([true]);
      expect((await store.getEndpoint(endpoint.id))?.firstFailureAt).toBeNull();
      expect(await store.completeAttempts([result(d1.id, 'new', 'succeeded')])).toEqual([false]);

      // 410: the endpoint is disabled and its pending delivery parked.
      const [d2again] = await store.claimDeliveries({ owner: 'w', now: t0 + 500, leaseMs: 100, limit: 5 });
      await store.appendEvents([sent(4)], t0 + 500);
      await store.fanOutPending(t0 + 500, 10);
      expect(
        await store.completeAttempts([result(d2again?.id ?? 0, 'w', 'failed', { disableEndpoint: 'gone' })]),
      ).toEqual([true]);
      expect(await store.getEndpoint(endpoint.id)).toMatchObject({
        disabledReason: 'gone',
        disabledAt: t0 + 10,
      });
      expect((await store.listDeliveries({ limit: 1 }))[0]?.status).toBe('disabled');
      expect(await store.claimDeliveries({ owner: 'w', now: t0 + 10_000, leaseMs: 100, limit: 5 })).toEqual(
        [],
      );
    });

    // Successes only: the batch PostgreSQL records in one statement (`completeStatement.ts`).
    test('completing successes only: a lost lease is neither applied, logged nor counted', async (context) => {
      const store = await open(context);
      await store.putEndpoint({ eventType: null, url: 'http://a.test/', secret: secretA, at: t0 });
      await store.appendEvents([sent(1), sent(2)], t0);
      await store.fanOutPending(t0, 10);
      const [d1, d2] = await store.claimDeliveries({ owner: 'old', now: t0, leaseMs: 100, limit: 10 });
      if (!d1 || !d2) throw new Error('expected two claims');
      const [again] = await store.claimDeliveries({ owner: 'new', now: t0 + 100, leaseMs: 100, limit: 1 });
      expect(again?.id).toBe(d1.id);
      const applied = await store.completeAttempts([
        result(d1.id, 'old', 'succeeded'),
        result(d2.id, 'old', 'succeeded', {
          attempt: { at: t0 + 7, status: 200, durationMs: 250, error: null, responseExcerpt: 'second' },
        }),
      ]);
      expect(applied).toEqual([false, true]);
      expect(await store.getDelivery(d1.id)).toMatchObject({
        status: 'delivering',
        leaseOwner: 'new',
        attempts: 0,
        attemptLog: [],
      });
      expect(await store.getDelivery(d2.id)).toMatchObject({
        status: 'succeeded',
        leaseOwner: null,
        attempts: 1,
        lastStatus: 200,
        attemptLog: [
          expect.objectContaining({ at: t0 + 7, status: 200, durationMs: 250, responseExcerpt: 'second' }),
        ],
      });
      expect(await store.deliveriesByHour({ from: t0 - hour, to: t0 + hour })).toEqual([
        { hour: Math.floor(t0 / hour) * hour, status: 'succeeded', retrying: false, count: 1 },
      ]);
      expect(await store.attemptLatencyByHour({ from: t0 - hour, to: t0 + hour })).toMatchObject([
        { count: 1, p50Ms: 250 },
      ]);
      // The late result again, now alone: still nothing.
      expect(await store.completeAttempts([result(d1.id, 'old', 'succeeded')])).toEqual([false]);
      expect((await store.getDelivery(d1.id))?.attemptLog).toEqual([]);
    });

    // On PostgreSQL a success recorded by the one-statement completion lives in the delivery's row
    // (migration 12), other attempts in `attempts`: the log, a manual retry, erasure and pruning
    // must see one history either way.
    test('the log keeps every attempt in order through a success, a manual retry, erasure and pruning', async (context) => {
      const store = await open(context);
      await store.putEndpoint({ eventType: null, url: 'http://a.test/', secret: secretA, at: t0 });
      await store.appendEvents([sent(1)], t0);
      await store.fanOutPending(t0, 10);
      const [first] = await store.claimDeliveries({ owner: 'w1', now: t0, leaseMs: 100, limit: 1 });
      if (!first) throw new Error('expected a claim');
      await store.completeAttempts([result(first.id, 'w1', 'pending', { nextAttemptAt: t0 + 20 })]);
      await store.claimDeliveries({ owner: 'w2', now: t0 + 20, leaseMs: 100, limit: 1 });
      const said = (n: number) => ({
        at: t0 + 20 + n,
        status: 200,
        durationMs: 40 + n,
        error: null,
        responseExcerpt: `thanks ann${n}@example.com`,
      });
      expect(
        await store.completeAttempts([result(first.id, 'w2', 'succeeded', { attempt: said(1) })]),
      ).toEqual([true]);
      const logged = (await store.getDelivery(first.id))?.attemptLog ?? [];
      expect(logged.map((a) => [a.worker, a.status, a.error, a.responseExcerpt])).toEqual([
        ['w1', 500, null, 'ok'],
        ['w2', 200, null, 'thanks ann1@example.com'],
      ]);
      expect(logged[1]).toMatchObject({ deliveryId: first.id, at: t0 + 21, durationMs: 41 });
      expect((logged[1]?.id ?? 0) > (logged[0]?.id ?? 0)).toBe(true);

      // A manual retry keeps the log as it was, and the next success comes after it.
      expect(await store.retryDelivery(first.id, t0 + 30)).toMatchObject({ status: 'pending', attempts: 0 });
      expect((await store.getDelivery(first.id))?.attemptLog).toEqual(logged);
      await store.claimDeliveries({ owner: 'w3', now: t0 + 30, leaseMs: 100, limit: 1 });
      await store.completeAttempts([result(first.id, 'w3', 'succeeded', { attempt: said(2) })]);
      const after = (await store.getDelivery(first.id))?.attemptLog ?? [];
      expect(after.slice(0, 2)).toEqual(logged);
      expect(after.map((a) => a.worker)).toEqual(['w1', 'w2', 'w3']);
      expect(after.map((a) => a.id)).toEqual([...after.map((a) => a.id)].sort((x, y) => x - y));

      // Erasure clears the excerpts that name someone, wherever the attempt lives (one row a page).
      const ann = await store.createContact(
        { email: 'ANN2@example.com', groupIds: [], source: 't', at: t0 },
        () => [],
      );
      const erased = await store.eraseContact({
        contactId: ann.value.id,
        at: t0 + 40,
        suppressionKey: (channel, address) => `${channel}:${address}`,
      });
      if (!erased) throw new Error('expected the contact to be erased');
      let excerpts = 0;
      for (let pages = 1; ; pages++) {
        const scrubbed = await store.scrubHistory({ scrubId: erased.scrubId, scanLimit: 1, at: t0 + 40 });
        excerpts += scrubbed.excerpts;
        expect(scrubbed.total.excerpts).toBe(excerpts);
        if (scrubbed.done) break;
        expect(pages).toBeLessThan(100);
      }
      expect(await store.listErasureScrubs()).toEqual([]);
      expect(excerpts).toBe(1);
      expect((await store.getDelivery(first.id))?.attemptLog.map((a) => a.responseExcerpt)).toEqual([
        'ok',
        'thanks ann1@example.com',
        '',
      ]);

      // Pruning takes the delivery with all three.
      const pruned = await store.pruneHistory({ before: t0 + hour, limit: 10 });
      expect(pruned).toMatchObject({ deliveries: 1, attempts: 3 });
      expect(await store.getDelivery(first.id)).toBeUndefined();
    });

    test('a retry whose endpoint was disabled meanwhile waits as disabled; release gives leases back', async (context) => {
      const store = await open(context);
      const endpoint = await store.putEndpoint({
        eventType: null,
        url: 'http://a.test/',
        secret: secretA,
        at: t0,
      });
      await store.appendEvents([sent(1), sent(2)], t0);
      await store.fanOutPending(t0, 10);
      const [d1, d2] = await store.claimDeliveries({ owner: 'w', now: t0, leaseMs: 100, limit: 10 });
      await store.disableEndpoint(endpoint.id, { reason: 'manual', at: t0 + 1 });
      await store.completeAttempts([result(d1?.id ?? 0, 'w', 'pending', { nextAttemptAt: t0 + 50 })]);
      expect((await store.getDelivery(d1?.id ?? 0))?.status).toBe('disabled');
      expect(await store.releaseDeliveries([d2?.id ?? 0], 'other', t0 + 2)).toBe(0);
      expect(await store.releaseDeliveries([d2?.id ?? 0], 'w', t0 + 2)).toBe(1);
      expect(await store.getDelivery(d2?.id ?? 0)).toMatchObject({
        status: 'pending',
        nextAttemptAt: t0 + 2,
        leaseOwner: null,
      });
    });

    test('delivery log: filters, keyset pages, retry, replay in a window, stats', async (context) => {
      const store = await open(context);
      const a = await store.putEndpoint({ eventType: null, url: 'http://a.test/', secret: secretA, at: t0 });
      const b = await store.putEndpoint({
        eventType: 'mailing group unsubscribe',
        url: 'http://b.test/',
        secret: secretA,
        at: t0,
      });
      await store.appendEvents([sent(1), sent(2), unsubscribe(3)], t0);
      await store.fanOutPending(t0, 10);
      await store.appendEvents([sent(4)], t0 + hour);
      await store.fanOutPending(t0 + hour, 10);
      const all = await store.listDeliveries();
      expect(all.map((d) => d.id)).toEqual([...all.map((d) => d.id)].sort((x, y) => y - x));
      expect(await store.listDeliveries({ endpointId: b.id })).toHaveLength(1);
      expect(await store.listDeliveries({ eventType: 'message sent', status: 'pending' })).toHaveLength(3);
      const page1 = await store.listDeliveries({ limit: 2 });
      const page2 = await store.listDeliveries({ limit: 2, beforeId: page1[1]?.id });
      expect([...page1, ...page2].map((d) => d.id)).toEqual(all.map((d) => d.id));

      // Fail every delivery of endpoint a.
      const claimed = await store.claimDeliveries({ owner: 'w', now: t0 + hour, leaseMs: 100, limit: 10 });
      await store.completeAttempts(
        claimed.map((d) => result(d.id, 'w', d.endpointId === a.id ? 'failed' : 'succeeded')),
      );
      let stats = await store.deliveryStats();
      expect(stats).toEqual({
        byStatus: { pending: 0, delivering: 0, succeeded: 1, failed: 3, disabled: 0 },
        history: true,
        undispatchedEvents: 0,
        oldestPendingAt: null,
      });
      // Replay only those created in the first hour.
      expect(
        await store.replayDeliveries({ endpointId: a.id, from: t0, to: t0 + hour, at: t0 + 2 * hour }),
      ).toBe(2);
      const replayed = await store.listDeliveries({ status: 'pending' });
      expect(replayed.map((d) => [d.attempts, d.nextAttemptAt])).toEqual([
        [0, t0 + 2 * hour],
        [0, t0 + 2 * hour],
      ]);
      const failed = (await store.listDeliveries({ status: 'failed' }))[0];
      expect(await store.retryDelivery(failed?.id ?? 0, t0 + 3 * hour)).toMatchObject({
        status: 'pending',
        attempts: 0,
      });
      expect(await store.retryDelivery(987_654, t0)).toBeUndefined();
      await store.appendEvents([sent(5)], t0 + 4 * hour);
      stats = await store.deliveryStats();
      expect(stats.byStatus).toMatchObject({ pending: 3, failed: 0, succeeded: 1 });
      expect(stats.undispatchedEvents).toBe(1);
      expect(stats.oldestPendingAt).toBe(t0);
    });
  });
}
