/**
 * @module The ordering part of the store contract (issue 17): deliveries with an ordering key (a
 * contact id) go to each endpoint one after the other in outbox order; other contacts, other
 * endpoints and unkeyed events never wait. Run by each backend's test file beside the webhooks
 * contract. (What only concurrency on PostgreSQL can produce — an earlier event still being
 * fanned out by another worker — is tested in `test/dispatch/orderedDelivery.test.ts`.)
 */
import { describe, expect, test, type TestContext } from 'vitest';
import { openStore } from './openStore.js';
import { outboxEvent } from './outboxEvent.js';
import type { StoreContractOptions } from './storeContract.js';
import type { ClaimedDelivery, CompleteAttemptInput, Store } from './types.js';

const t0 = 1_700_000_000_000;
const secret = 'whsec_' + Buffer.alloc(24, 1).toString('base64');

/** A subscription event of contact `key`, numbered `n`. */
const change = (n: number, key: number, event = 'mailing group unsubscribe') =>
  outboxEvent({ event, n }, { orderingKey: key });
const sent = (n: number) => outboxEvent({ event: 'message sent', n });
const numbers = (deliveries: readonly ClaimedDelivery[]) =>
  deliveries.map((delivery) => (JSON.parse(delivery.body) as { n: number }).n).sort((a, b) => a - b);

/** An attempt result recorded at `at`. */
function result(
  delivery: ClaimedDelivery,
  outcome: CompleteAttemptInput['outcome'],
  at: number,
  nextAttemptAt?: number,
): CompleteAttemptInput {
  return {
    deliveryId: delivery.id,
    owner: delivery.leaseOwner ?? '',
    outcome,
    at,
    ...(nextAttemptAt === undefined ? {} : { nextAttemptAt }),
    attempt: {
      at,
      status: outcome === 'succeeded' ? 204 : 503,
      durationMs: 1,
      error: null,
      responseExcerpt: '',
    },
  };
}

/** Runs the ordering contract against one backend. */
export function runOrderingContract(options: StoreContractOptions): void {
  describe.skipIf(options.skip ?? false)(`ordering store contract: ${options.name}`, () => {
    const open = async (context: TestContext): Promise<Store> => {
      const store = await openStore(await options.makeDatabase(context));
      context.onTestFinished(() => store.close());
      return store;
    };
    const claim = (store: Store, owner: string, now: number) =>
      store.claimDeliveries({ owner, now, leaseMs: 1_000, limit: 100 });

    test('a later delivery of a contact waits while the earlier one is pending or retrying; others never wait', async (context) => {
      const store = await open(context);
      await store.putEndpoint({ eventType: null, url: 'http://a.test/', secret, at: t0 });
      const appended = await store.appendEvents(
        [change(1, 7), change(2, 8), change(3, 7, 'mailing group subscribe'), sent(4), change(5, 7)],
        t0,
      );
      expect(appended.map((event) => event.orderingKey)).toEqual([7, 8, 7, null, 7]);

      // Fan-out with a claim leases the first of contact 7, contact 8 and the message event; the
      // later ones of contact 7 are created unleased and reported as held.
      const fanned = await store.fanOutPending(t0 + 1, 100, { owner: 'w1', leaseMs: 1_000, limit: 10 });
      expect(fanned).toMatchObject({ events: 5, deliveries: 5, held: 2 });
      expect(numbers(fanned.claimed ?? [])).toEqual([1, 2, 4]);
      const first = (fanned.claimed ?? [])[0] as ClaimedDelivery;
      expect(first).toMatchObject({ orderingKey: 7, eventId: appended[0]?.id, eventAt: t0 });
      expect(fanned.claimed?.find((d) => d.eventType === 'message sent')?.orderingKey).toBeNull();

      // Leased by another worker: still holds them.
      expect(await claim(store, 'w2', t0 + 1)).toEqual([]);
      // Retrying (not yet due): still holds them; then due, it alone is claimed.
      expect(await store.completeAttempts([result(first, 'pending', t0 + 2, t0 + 100)])).toEqual([true]);
      expect(await claim(store, 'w2', t0 + 50)).toEqual([]);
      const retry = await claim(store, 'w2', t0 + 100);
      expect(numbers(retry)).toEqual([1]);
      // Failed at the end of its schedule: final, so the next one of contact 7 goes — only that one.
      expect(await store.completeAttempts([result(retry[0] as ClaimedDelivery, 'failed', t0 + 101)])).toEqual(
        [true],
      );
      const second = await claim(store, 'w3', t0 + 101);
      expect(numbers(second)).toEqual([3]);
      expect(second[0]).toMatchObject({ orderingKey: 7, eventId: appended[2]?.id, eventAt: t0 });
      expect(
        await store.completeAttempts([result(second[0] as ClaimedDelivery, 'succeeded', t0 + 102)]),
      ).toEqual([true]);
      expect(numbers(await claim(store, 'w3', t0 + 102))).toEqual([5]);
    });

    test('per endpoint: a contact’s event to another endpoint does not wait', async (context) => {
      const store = await open(context);
      await store.putEndpoint({ eventType: null, url: 'http://common.test/', secret, at: t0 });
      await store.putEndpoint({
        eventType: 'mailing group subscribe',
        url: 'http://sub.test/',
        secret,
        at: t0,
      });
      await store.appendEvents([change(1, 7), change(2, 7, 'mailing group subscribe'), change(3, 7)], t0);
      const fanned = await store.fanOutPending(t0 + 1, 100, { owner: 'w1', leaseMs: 1_000, limit: 10 });
      expect(numbers(fanned.claimed ?? [])).toEqual([1, 2]);
      expect(fanned.held).toBe(1);
    });

    test('fan-out without a claim: the claim applies the rule; each success frees exactly the next', async (context) => {
      const store = await open(context);
      await store.putEndpoint({ eventType: null, url: 'http://a.test/', secret, at: t0 });
      await store.appendEvents(
        Array.from({ length: 5 }, (_, n) => change(n + 1, 7)),
        t0,
      );
      expect(await store.fanOutPending(t0 + 1, 100)).toEqual({ events: 5, deliveries: 5 });
      const order: number[] = [];
      for (let step = 0; step < 5; step++) {
        const claimed = await claim(store, `w${step}`, t0 + 2 + step);
        expect(claimed).toHaveLength(1);
        order.push(...numbers(claimed));
        await store.completeAttempts([result(claimed[0] as ClaimedDelivery, 'succeeded', t0 + 2 + step)]);
      }
      expect(order).toEqual([1, 2, 3, 4, 5]);
      expect(await claim(store, 'w9', t0 + 10)).toEqual([]);
    });

    test('a disabled endpoint makes its pending deliveries final: after re-enabling, later events flow', async (context) => {
      const store = await open(context);
      const endpoint = await store.putEndpoint({ eventType: null, url: 'http://a.test/', secret, at: t0 });
      await store.appendEvents([change(1, 7), change(2, 7)], t0);
      await store.fanOutPending(t0 + 1, 100);
      await store.disableEndpoint(endpoint.id, { reason: 'manual', at: t0 + 2 });
      await store.enableEndpoint(endpoint.id, t0 + 3);
      await store.appendEvents([change(3, 7)], t0 + 4);
      const fanned = await store.fanOutPending(t0 + 5, 100, { owner: 'w1', leaseMs: 1_000, limit: 10 });
      expect(numbers(fanned.claimed ?? [])).toEqual([3]);
    });

    test('manual retry and replay deliver an older event again with its original seq', async (context) => {
      const store = await open(context);
      const endpoint = await store.putEndpoint({ eventType: null, url: 'http://a.test/', secret, at: t0 });
      const appended = await store.appendEvents([change(1, 7), change(2, 7)], t0);
      const [older] = (await store.fanOutPending(t0 + 1, 100, { owner: 'w1', leaseMs: 1_000, limit: 10 }))
        .claimed as ClaimedDelivery[];
      await store.completeAttempts([result(older as ClaimedDelivery, 'failed', t0 + 2)]);
      const [newer] = await claim(store, 'w2', t0 + 3);
      await store.completeAttempts([result(newer as ClaimedDelivery, 'succeeded', t0 + 4)]);

      // The receiver already has seq 2; the retried seq 1 goes out as seq 1 (it discards it).
      await store.retryDelivery(older?.id ?? 0, t0 + 5);
      const [again] = await claim(store, 'w3', t0 + 5);
      expect(again).toMatchObject({ id: older?.id, eventId: appended[0]?.id, orderingKey: 7 });
      await store.completeAttempts([result(again as ClaimedDelivery, 'failed', t0 + 6)]);
      expect(
        await store.replayDeliveries({ endpointId: endpoint.id, from: t0, to: t0 + 10, at: t0 + 7 }),
      ).toBe(1);
      // While the replayed older one is unfinished, a new event of the contact waits behind it.
      await store.appendEvents([change(3, 7)], t0 + 8);
      const fanned = await store.fanOutPending(t0 + 9, 100, { owner: 'w4', leaseMs: 1_000, limit: 10 });
      expect(fanned).toMatchObject({ claimed: [], held: 1 });
      const replayed = await claim(store, 'w4', t0 + 9);
      expect(numbers(replayed)).toEqual([1]);
      expect(replayed[0]?.eventId).toBe(appended[0]?.id);
    });
  });
}
