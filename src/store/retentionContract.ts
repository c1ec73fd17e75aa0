/**
 * @module The retention and erasure part of the store contract, run by each backend's test file
 * beside `runStoreContract`: pruning never removes unfinished work (a property over random ages and
 * states), prunes exactly the old finished history, and the suppression list round-trips.
 */
import fc from 'fast-check';
import { describe, expect, test, type TestContext } from 'vitest';
import { openStore } from './openStore.js';
import { outboxEvent } from './outboxEvent.js';
import type { StoreContractOptions } from './storeContract.js';
import type { Store } from './types.js';

const day = 86_400_000;
const secret = 'whsec_' + Buffer.alloc(24, 7).toString('base64');

/** The state an event of the property ends in. */
const states = ['undispatched', 'none', 'pending', 'delivering', 'succeeded', 'failed', 'disabled'] as const;
type State = (typeof states)[number];

/** Event type per state: `message sent` goes to an enabled endpoint, `message open` to a disabled one. */
const typeOf = (state: State) =>
  state === 'disabled' ? 'message open' : state === 'none' ? 'message click' : 'message sent';

/** Prunes with small transactions until the pass is done (the pruner's loop, inline). */
export async function pruneAll(store: Store, before: number, limit: number): Promise<void> {
  let afterEventId = 0;
  for (let guard = 0; guard < 10_000; guard += 1) {
    const step = await store.pruneHistory({ before, limit, afterEventId });
    if (step.nextAfterEventId === null && step.deliveries < limit) return;
    afterEventId = step.nextAfterEventId ?? 0;
  }
  throw new Error('pruning did not finish');
}

/** Runs the retention contract against one backend. */
export function runRetentionContract(options: StoreContractOptions): void {
  describe.skipIf(options.skip ?? false)(`retention store contract: ${options.name}`, () => {
    const open = async (context: TestContext): Promise<Store> => {
      const store = await openStore(await options.makeDatabase(context));
      context.onTestFinished(() => store.close());
      return store;
    };

    test('pruning never removes unfinished work and removes exactly the old finished history', async (context) => {
      const store = await open(context);
      const t0 = 1_700_000_000_000;
      await store.putEndpoint({ eventType: 'message sent', url: 'http://a.test/', secret, at: t0 });
      const off = await store.putEndpoint({
        eventType: 'message open',
        url: 'http://b.test/',
        secret,
        at: t0,
      });
      await store.disableEndpoint(off.id, { reason: 'manual', at: t0 });
      let round = 0;

      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({ ageDays: fc.integer({ min: 0, max: 60 }), state: fc.constantFrom(...states) }),
            {
              minLength: 1,
              maxLength: 12,
            },
          ),
          fc.integer({ min: 1, max: 45 }),
          fc.integer({ min: 1, max: 4 }),
          async (items, retentionDays, limit) => {
            // Each run lives 1,000 days after the previous one, so earlier runs' rows are older.
            round += 1;
            const now = t0 + round * 1_000 * day;
            const ids = new Map<number, { state: State; at: number }>();
            const ordered = [...items].sort((a, b) => b.ageDays - a.ageDays);
            const append = async (state: State, index: number, at: number) => {
              const type = state === 'undispatched' ? 'message sent' : typeOf(state);
              const [event] = await store.appendEvents([outboxEvent({ event: type, n: index })], at);
              ids.set(event?.id as number, { state, at });
            };
            for (const [index, item] of ordered.entries()) {
              if (item.state !== 'undispatched') await append(item.state, index, now - item.ageDays * day);
            }
            await store.fanOutPending(now, 1_000);
            // Appended after the fan-out (and older than some dispatched ones): ids and times disagree.
            for (const [index, item] of ordered.entries()) {
              if (item.state === 'undispatched') await append(item.state, index, now - item.ageDays * day);
            }
            const claimed = await store.claimDeliveries({
              owner: 'w',
              now,
              leaseMs: 1_000 * day,
              limit: 1_000,
            });
            const stateOf = (eventId: number) => ids.get(eventId)?.state;
            await store.completeAttempts(
              claimed
                .filter((d) => stateOf(d.eventId) === 'succeeded' || stateOf(d.eventId) === 'failed')
                .map((d) => ({
                  deliveryId: d.id,
                  owner: 'w',
                  outcome: stateOf(d.eventId) as 'succeeded' | 'failed',
                  at: now,
                  attempt: { at: now, status: 200, durationMs: 1, error: null, responseExcerpt: 'ok' },
                })),
            );
            await store.releaseDeliveries(
              claimed.filter((d) => stateOf(d.eventId) === 'pending').map((d) => d.id),
              'w',
              now,
            );

            const before = now - retentionDays * day;
            await pruneAll(store, before, limit);

            for (const [eventId, { state, at }] of ids) {
              const deliveries = await store.listDeliveries({ eventId });
              const event = (await store.listOutbox({ afterId: eventId - 1, limit: 1 }))[0];
              const present = event?.id === eventId;
              if (state === 'undispatched' || state === 'pending' || state === 'delivering') {
                // Unfinished work stays, whatever its age.
                expect(present, `event ${eventId} (${state})`).toBe(true);
                if (state !== 'undispatched') expect(deliveries.map((d) => d.status)).toEqual([state]);
              } else if (at < before) {
                // Old and finished: gone, with its deliveries.
                expect(present, `event ${eventId} (${state}) is old and finished`).toBe(false);
                expect(deliveries).toEqual([]);
              } else {
                // New: kept as it was.
                expect(present, `event ${eventId} (${state}) is new`).toBe(true);
                if (state !== 'none') expect(deliveries.map((d) => d.status)).toEqual([state]);
              }
            }
          },
        ),
        {
          numRuns: 20,
          // Found by CI: with one row per call, an event whose last (disabled) delivery went after the
          // event window had passed it stayed behind until the next pass.
          examples: [
            [
              [
                { ageDays: 26, state: 'pending' },
                { ageDays: 14, state: 'pending' },
                { ageDays: 31, state: 'succeeded' },
                { ageDays: 43, state: 'delivering' },
                { ageDays: 19, state: 'undispatched' },
                { ageDays: 10, state: 'disabled' },
                { ageDays: 29, state: 'undispatched' },
                { ageDays: 54, state: 'disabled' },
                { ageDays: 52, state: 'undispatched' },
                { ageDays: 45, state: 'failed' },
              ],
              6,
              1,
            ],
          ],
        },
      );
      // Twenty random histories of up to a dozen events each: a minute or two on a busy machine.
    }, 180_000);

    test('pruning takes final deliveries with their attempts, and leaves subscription state alone', async (context) => {
      const store = await open(context);
      const t0 = 1_700_000_000_000;
      await store.putEndpoint({ eventType: null, url: 'http://a.test/', secret, at: t0 });
      const group = await store.createGroup({ name: 'N', systemName: 'n', channel: 'email' }, t0);
      const { value: contact } = await store.createContact(
        { email: 'ann@example.com', groupIds: [group.id], source: 'test', at: t0 },
        () => [outboxEvent({ event: 'contact adding', email: 'ann@example.com' })],
      );
      await store.fanOutPending(t0, 100);
      const [claimed] = await store.claimDeliveries({ owner: 'w', now: t0, leaseMs: 1000, limit: 10 });
      await store.completeAttempts([
        {
          deliveryId: claimed?.id as number,
          owner: 'w',
          outcome: 'succeeded',
          at: t0,
          attempt: { at: t0, status: 200, durationMs: 1, error: null, responseExcerpt: 'ok' },
        },
      ]);
      expect((await store.getDelivery(claimed?.id as number))?.attemptLog).toHaveLength(1);
      const first = await store.pruneHistory({ before: t0 + day, limit: 1_000 });
      expect(first).toMatchObject({ events: 1, deliveries: 1, attempts: 1, locked: true });
      expect(await store.getDelivery(claimed?.id as number)).toBeUndefined();
      expect(await store.listOutbox()).toEqual([]);
      expect(await store.getContact(contact.id)).toEqual(contact);
      expect(await store.getMemberships(contact.id)).toHaveLength(1);
      expect(await store.reclaimSpace(100)).toBeGreaterThanOrEqual(0);
    });

    test('suppression list: eraseContact keeps unsubscribes by key and merges a repeat', async (context) => {
      const store = await open(context);
      const t0 = 1_700_000_000_000;
      const a = await store.createGroup({ name: 'A', systemName: 'a', channel: 'email' }, t0);
      const b = await store.createGroup({ name: 'B', systemName: 'b', channel: 'email' }, t0);
      const s = await store.createGroup({ name: 'S', systemName: 's', channel: 'sms' }, t0);
      const key = (channel: string, address: string) => `${channel}:${address.toLowerCase()}`;
      const make = async () =>
        (
          await store.createContact(
            {
              email: 'Ann@Example.com',
              phone: '+37120000000',
              groupIds: [a.id, b.id, s.id],
              source: 't',
              at: t0,
            },
            () => [],
          )
        ).value;
      let contact = await make();
      await store.changeMemberships(
        { contactId: contact.id, unsubscribe: [a.id], source: 't', at: t0 },
        () => [],
      );
      const erased = await store.eraseContact({ contactId: contact.id, at: t0, suppressionKey: key });
      expect(erased?.suppressions).toMatchObject([
        { key: 'email:ann@example.com', channel: 'email', groups: [a.id] },
      ]);
      // The scrub is recorded with the deletion (its needles stay inside the store until it ends).
      expect(await store.listErasureScrubs()).toEqual([
        { id: erased?.scrubId, contactId: contact.id, createdAt: t0, updatedAt: t0 },
      ]);
      expect(await store.getContact(contact.id)).toBeUndefined();
      expect(
        await store.eraseContact({ contactId: contact.id, at: t0, suppressionKey: key }),
      ).toBeUndefined();

      // Re-created with the suppressed groups: they start unsubscribed and are not joined.
      const again = await store.createContact(
        {
          email: 'ann@example.com',
          phone: '+37120000000',
          groupIds: [a.id, b.id, s.id],
          startUnsubscribed: [a.id],
          source: 't',
          at: t0,
        },
        ({ groups }) => [outboxEvent({ event: 'contact adding', groups_ids: groups.map((g) => g.id) })],
      );
      contact = again.value;
      expect(JSON.parse(again.events[0]?.body ?? '{}')).toMatchObject({ groups_ids: [b.id, s.id] });
      expect((await store.getMemberships(contact.id)).map((m) => [m.group.id, m.state, m.source])).toEqual([
        [a.id, 'unsubscribed', 'suppression'],
        [b.id, 'subscribed', 't'],
        [s.id, 'subscribed', 't'],
      ]);
      // Leaving everything else too: the email channel becomes `all`, SMS gets its own entry.
      await store.changeMemberships(
        { contactId: contact.id, channel: 'email', unsubscribe: 'all', source: 't', at: t0 },
        () => [],
      );
      await store.changeMemberships(
        { contactId: contact.id, unsubscribe: [s.id], source: 't', at: t0 },
        () => [],
      );
      await store.eraseContact({ contactId: contact.id, at: t0 + 1, suppressionKey: key });
      const found = await store.findSuppressions(['email:ann@example.com', 'sms:+37120000000', 'nope']);
      expect(found.map((entry) => [entry.channel, entry.groups]).sort()).toEqual([
        ['email', 'all'],
        ['sms', 'all'],
      ]);
    });
  });
}
