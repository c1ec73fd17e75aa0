/**
 * @module Erasure end to end on both stores: no copy of the person's data is left in any table (nor,
 * on SQLite, in the file's or the WAL's bytes); an erased address that had unsubscribed stays
 * unsubscribed when it comes back through an import or the API; the suppression look-up answers by
 * hash.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, test, type TestContext } from 'vitest';
import { outboxEvent, type Store, type StoreOptions } from '../../src/store/index.js';
import { createSubscriptions } from '../../src/subscriptions/index.js';
import { createPruner } from '../../src/webhooks/index.js';
import { openTestStore, testBackends } from '../support/databases.js';

const backends = await testBackends('the erasure suite');
const secret = 'whsec_' + Buffer.alloc(24, 9).toString('base64');

/** Every row of every table, as one lower-cased text. */
async function everyRow(options: StoreOptions): Promise<string> {
  if (options.sqlitePath) {
    const db = new Database(options.sqlitePath, { readonly: true });
    try {
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .pluck()
        .all() as string[];
      return tables
        .map((table) => `${table}: ${JSON.stringify(db.prepare(`SELECT * FROM "${table}"`).all())}`)
        .join('\n')
        .toLowerCase();
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
      [options.schema],
    );
    const parts: string[] = [];
    for (const { table_name: table } of tables.rows) {
      const rows = await client.query(`SELECT * FROM "${options.schema}"."${table}"`);
      parts.push(`${table}: ${JSON.stringify(rows.rows)}`);
    }
    return parts.join('\n').toLowerCase();
  } finally {
    await client.end();
  }
}

/** A store with subscriptions on a fixed clock, two e-mail groups and an SMS group. */
async function setUp(context: TestContext, options: StoreOptions) {
  const store = await openTestStore(context, options);
  const clock = { now: 1_700_000_000_000 };
  const subscriptions = createSubscriptions({ store, now: () => clock.now });
  const news = await subscriptions.createGroup({ name: 'News', systemName: 'news', channel: 'email' });
  const offers = await subscriptions.createGroup({ name: 'Offers', systemName: 'offers', channel: 'email' });
  const alerts = await subscriptions.createGroup({ name: 'Alerts', systemName: 'alerts', channel: 'sms' });
  return { store, clock, subscriptions, news, offers, alerts };
}

/** Claims every due delivery and completes the ones `pick` chooses, with `excerpt` as the response. */
async function deliver(store: Store, at: number, pick: (eventId: number) => boolean, excerpt: string) {
  const claimed = await store.claimDeliveries({ owner: 'w', now: at, leaseMs: 60_000, limit: 1_000 });
  await store.completeAttempts(
    claimed
      .filter((d) => pick(d.eventId))
      .map((d) => ({
        deliveryId: d.id,
        owner: 'w',
        outcome: 'succeeded' as const,
        at,
        attempt: { at, status: 200, durationMs: 1, error: null, responseExcerpt: excerpt },
      })),
  );
  await store.releaseDeliveries(
    claimed.filter((d) => !pick(d.eventId)).map((d) => d.id),
    'w',
    at,
  );
}

describe.each(backends)('erasure: $name', ({ name, makeDatabase }) => {
  test('erasing leaves no copy of the address, phone or names anywhere', async (context) => {
    const options = await makeDatabase(context);
    const { store, clock, subscriptions, news, offers, alerts } = await setUp(context, options);
    await store.putEndpoint({ eventType: null, url: 'http://receiver.test/', secret, at: clock.now });
    const zoe = await subscriptions.createContact({
      email: 'Zoe.Erase@Example.com',
      phone: '+371 2999 9999',
      firstName: 'Zoëlle',
      lastName: 'Erasewright',
      extra: { city: 'Secretville' },
      groupIds: [news.id, offers.id, alerts.id],
    });
    const bob = await subscriptions.createContact({ email: 'bob@example.com', groupIds: [news.id] });
    await subscriptions.unsubscribe({
      contactId: zoe.id,
      channel: 'email',
      groupIds: [news.id],
      source: 'link',
    });
    // A STOP reply: the store keeps the phone and the text with the change.
    const stop = await subscriptions.replyToSms({ from: '+371 2999 9999', text: 'STOP Secretville' });
    expect(stop.matched).toBe(true);
    await store.appendEvents(
      [outboxEvent({ event: 'message sent', to: 'zoe.erase@example.com', message_uid: 'm1' })],
      clock.now,
    );
    await store.fanOutPending(clock.now, 100);
    // Delivered: everything but one of Zoe's events, which stays pending (to be cancelled).
    const events = await store.listOutbox({ limit: 100 });
    const pendingEvent = events.find((e) => e.type === 'message sent')?.id;
    await deliver(store, clock.now, (id) => id !== pendingEvent, 'ok');
    // A receiver that quoted Zoe's address in its answer to Bob's event.
    await subscriptions.unsubscribe({ contactId: bob.id, channel: 'email', groupIds: 'all', source: 'link' });
    await store.fanOutPending(clock.now + 1, 100);
    await deliver(store, clock.now + 1, (id) => id !== pendingEvent, 'unknown user ZOE.ERASE@example.com');

    const before = await everyRow(options);
    expect(before).toContain('zoe.erase@example.com');

    const report = await subscriptions.eraseContact(zoe.id);
    expect(report).toEqual({
      contactId: zoe.id,
      memberships: 3,
      // contact adding, the unsubscribe, the message event.
      events: 3,
      deliveries: 3,
      cancelled: 1,
      attempts: 2,
      excerpts: 1,
      suppressed: [{ channel: 'email', groups: [news.id] }],
    });
    const after = await everyRow(options);
    for (const needle of ['zoe.erase@example.com', '+37129999999', 'zoëlle', 'erasewright', 'secretville']) {
      expect(after, `${needle} left in the ${name} tables`).not.toContain(needle);
    }
    // Bob's history is untouched.
    expect(after).toContain('bob@example.com');
    expect(await store.getContact(zoe.id)).toBeUndefined();

    if (options.sqlitePath) {
      // The raw bytes: secure_delete zeroed the rows in the file, the checkpoint emptied the WAL.
      for (const file of [options.sqlitePath, `${options.sqlitePath}-wal`]) {
        if (!fs.existsSync(file)) continue;
        const bytes = fs.readFileSync(file).toString('latin1').toLowerCase();
        for (const needle of ['zoe.erase@example.com', '+37129999999', 'erasewright', 'secretville']) {
          expect(bytes.includes(needle), `${needle} left in the bytes of ${file}`).toBe(false);
        }
      }
    }
    await expect(subscriptions.eraseContact(zoe.id)).rejects.toMatchObject({ code: 'contact_not_found' });
  });

  test('an erasure cut short after the contact is gone is finished by the retention job', async (context) => {
    const options = await makeDatabase(context);
    const { store, clock, subscriptions, news } = await setUp(context, options);
    await store.putEndpoint({ eventType: null, url: 'http://receiver.test/', secret, at: clock.now });
    const zoe = await subscriptions.createContact({ email: 'zoe.cut@example.com', groupIds: [news.id] });
    const bob = await subscriptions.createContact({ email: 'bob@example.com', groupIds: [news.id] });
    await store.appendEvents(
      Array.from({ length: 5 }, (_, n) =>
        outboxEvent({ event: 'message sent', to: 'zoe.cut@example.com', message_uid: `m${n}` }),
      ),
      clock.now,
    );
    await store.fanOutPending(clock.now, 100);
    await deliver(store, clock.now, () => true, 'who is ZOE.CUT@example.com?');
    expect(await everyRow(options)).toContain('zoe.cut@example.com');

    // The process erasing dies after the contact's deletion and one page of its scrub.
    const erased = await store.eraseContact({
      contactId: zoe.id,
      at: clock.now,
      suppressionKey: (channel, address) => `${channel}:${address}`,
    });
    if (!erased) throw new Error('expected the contact to be erased');
    const first = await store.scrubHistory({ scrubId: erased.scrubId, scanLimit: 1, at: clock.now });
    expect(first.done).toBe(false);
    expect(await store.getContact(zoe.id)).toBeUndefined();
    expect(await everyRow(options)).toContain('zoe.cut@example.com');
    expect(await store.listErasureScrubs()).toEqual([
      { id: erased.scrubId, contactId: zoe.id, createdAt: clock.now, updatedAt: clock.now },
    ]);

    // A minute on, the retention job finds the scrub nobody moves and finishes it.
    const pruner = createPruner({
      store,
      retentionDays: () => 30,
      now: () => clock.now + 61_000,
      pauseMs: 0,
    });
    expect(await pruner.runOnce()).toMatchObject({ scrubs: 1 });
    expect(await store.listErasureScrubs()).toEqual([]);
    const after = await everyRow(options);
    expect(after).not.toContain('zoe.cut@example.com');
    expect(after).toContain('bob@example.com');
    expect(await store.getContact(bob.id)).toBeDefined();
    if (options.sqlitePath) {
      for (const file of [options.sqlitePath, `${options.sqlitePath}-wal`]) {
        if (!fs.existsSync(file)) continue;
        const bytes = fs.readFileSync(file).toString('latin1').toLowerCase();
        expect(bytes.includes('zoe.cut@example.com'), `the address left in the bytes of ${file}`).toBe(false);
      }
    }
  });

  test('an erased address that unsubscribed stays unsubscribed when imported or created again', async (context) => {
    const { store, subscriptions, news, offers, alerts } = await setUp(context, await makeDatabase(context));
    const ann = await subscriptions.createContact({
      email: 'ann@example.com',
      phone: '+37120000000',
      groupIds: [news.id, offers.id, alerts.id],
    });
    await subscriptions.unsubscribe({
      contactId: ann.id,
      channel: 'email',
      groupIds: [news.id],
      source: 'one-click',
    });
    await subscriptions.unsubscribe({ contactId: ann.id, channel: 'sms', groupIds: 'all', source: 'link' });
    await subscriptions.eraseContact(ann.id);

    expect(await subscriptions.checkSuppression({ email: ' ANN@example.com ' })).toEqual([
      { channel: 'email', groups: [news.id] },
    ]);
    expect(await subscriptions.checkSuppression({ phone: '+371 2000 0000' })).toEqual([
      { channel: 'sms', groups: 'all' },
    ]);
    expect(await subscriptions.checkSuppression({ email: 'someone@example.com' })).toEqual([]);

    const imported = await subscriptions.importContacts({
      text: 'email,phone,groups\nAnn@Example.com,+37120000000,news;offers;alerts\ncid@example.com,,news\n',
      format: 'csv',
    });
    expect(imported).toEqual({
      ok: true,
      created: 2,
      updated: 0,
      suppressed: [
        {
          email: 'Ann@Example.com',
          suppressed: [
            { channel: 'email', groups: [news.id] },
            { channel: 'sms', groups: 'all' },
          ],
        },
      ],
    });
    const again = (await store.findContactByEmail('ann@example.com'))!;
    const states = (await store.getMemberships(again.id)).map((m) => [m.group.systemName, m.state]);
    expect(states).toEqual([
      ['news', 'unsubscribed'],
      ['offers', 'subscribed'],
      ['alerts', 'unsubscribed'],
    ]);
    // The `contact adding` event lists only the groups really joined.
    const adding = (await store.listOutbox({ limit: 100 }))
      .map((e) => JSON.parse(e.body) as { event: string; email?: string; groups_ids?: number[] })
      .filter((e) => e.event === 'contact adding' && e.email === 'Ann@Example.com');
    expect(adding.at(-1)?.groups_ids).toEqual([offers.id]);

    // Through the API's command too, after erasing once more.
    await subscriptions.eraseContact(again.id);
    const created = await subscriptions.createContact({ email: 'ann@example.com', groupIds: [news.id] });
    expect(created.suppressed).toEqual([{ channel: 'email', groups: [news.id] }]);
    expect((await store.getMemberships(created.id)).map((m) => m.state)).toEqual(['unsubscribed']);
  });
});
