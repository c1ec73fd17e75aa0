/**
 * @module Pruning under a burst of concurrent RFC 8058 one-click unsubscribes, over HTTP on every
 * backend: the pruner's small transactions interleave with the one-clicks, and nothing is lost —
 * every one-click is answered 200, leaves its membership and its event in the outbox, and only the
 * old finished history is gone.
 */
import { describe, expect, test } from 'vitest';
import { outboxEvent, type Store } from '../../src/store/index.js';
import { createPruner } from '../../src/webhooks/index.js';
import { postForm, startHarness } from '../http/httpHarness.js';
import { testBackends } from '../support/databases.js';

const backends = await testBackends('the pruning burst suite');
const secret = 'whsec_' + Buffer.alloc(24, 9).toString('base64');
const day = 86_400_000;

/** Delivers every due delivery successfully. */
async function deliverAll(store: Store, at: number): Promise<void> {
  for (;;) {
    const claimed = await store.claimDeliveries({ owner: 'w', now: at, leaseMs: 60_000, limit: 1_000 });
    if (claimed.length === 0) return;
    await store.completeAttempts(
      claimed.map((d) => ({
        deliveryId: d.id,
        owner: 'w',
        outcome: 'succeeded' as const,
        at,
        attempt: { at, status: 200, durationMs: 1, error: null, responseExcerpt: 'ok' },
      })),
    );
  }
}

describe.each(backends)('pruning under a one-click burst: $name', (backend) => {
  test('every one-click is kept while old history is pruned', async (context) => {
    const h = await startHarness(context, backend);
    const { store, subscriptions } = h;
    const now = Date.now();
    await store.putEndpoint({ eventType: null, url: 'http://receiver.test/', secret, at: now - 60 * day });
    // Old, delivered history to prune.
    await store.appendEvents(
      Array.from({ length: 400 }, (_, n) => outboxEvent({ event: 'message sent', message_uid: `old${n}` })),
      now - 40 * day,
    );
    await store.fanOutPending(now - 40 * day, 10_000);
    await deliverAll(store, now - 40 * day);
    const contacts = [];
    for (let n = 0; n < 80; n += 1) {
      contacts.push(await subscriptions.createContact({ email: `c${n}@example.com`, groupIds: [h.news.id] }));
    }
    const before = (await store.listOutbox({ limit: 10_000 })).length;

    const pruner = createPruner({ store, retentionDays: () => 30, batch: 10, pauseMs: 0 });
    const [totals, ...answers] = await Promise.all([
      pruner.runOnce(),
      ...contacts.map((contact) =>
        postForm(h.link({ action: 'unsubscribe', contactId: contact.id, channel: 'email' }), {
          'List-Unsubscribe': 'One-Click',
        }),
      ),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual(contacts.map(() => 200));
    expect(totals).toMatchObject({ events: 400, deliveries: 400, attempts: 400 });

    const outbox = await store.listOutbox({ limit: 10_000 });
    expect(outbox.filter((e) => e.type === 'message sent')).toHaveLength(0);
    const unsubscribed = outbox
      .filter((e) => e.type === 'mailing group unsubscribe')
      .map((e) => (JSON.parse(e.body) as { email: string }).email)
      .sort();
    expect(unsubscribed).toEqual(contacts.map((c) => c.email).sort());
    expect(outbox).toHaveLength(before - 400 + contacts.length);
    for (const contact of contacts) {
      expect((await store.getMemberships(contact.id)).map((m) => [m.state, m.source])).toEqual([
        ['unsubscribed', 'one-click'],
      ]);
    }
    expect(h.logged).toEqual([]);
  });
});
