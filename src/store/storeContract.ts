/**
 * @module The store contract: one suite of behaviour every backend must show, run by each backend's
 * test file (`sqliteStore.test.ts`, `postgresStore.test.ts`) with its own fresh-database factory.
 */
import { describe, expect, test, type TestContext } from 'vitest';
import { openStore } from './openStore.js';
import { outboxEvent } from './outboxEvent.js';
import type { ContactCreated, MembershipsChanged, NewOutboxEvent, Store, StoreOptions } from './types.js';

/** Options of `runStoreContract`. */
export interface StoreContractOptions {
  /** Shown in the suite's title, e.g. `sqlite`. */
  name: string;
  /** Creates a fresh, isolated database for this test and returns the options that open it. */
  makeDatabase(context: TestContext): Promise<StoreOptions>;
  /** Skip the whole suite (e.g. PostgreSQL unreachable); the caller says why. */
  skip?: boolean;
}

const t0 = 1_700_000_000_000;

/** Event builders that record a simple body per fact, for checking what the store appended. */
const onCreated = ({ contact, groups }: ContactCreated): NewOutboxEvent[] => [
  outboxEvent({ event: 'contact adding', email: contact.email, groups_ids: groups.map((group) => group.id) }),
];
const onChanged = ({ contact, changed }: MembershipsChanged): NewOutboxEvent[] =>
  changed.map((change) =>
    outboxEvent({
      event: `mailing group ${change.state.slice(0, -1)}`,
      email: contact.email,
      group_id: change.group.id,
    }),
  );
const failing = (): NewOutboxEvent[] => {
  throw new Error('builder failed');
};

/** Runs the store contract against one backend. */
export function runStoreContract(options: StoreContractOptions): void {
  describe.skipIf(options.skip ?? false)(`store contract: ${options.name}`, () => {
    const open = async (context: TestContext): Promise<Store> => {
      const store = await openStore(await options.makeDatabase(context));
      context.onTestFinished(() => store.close());
      return store;
    };

    /** A store with two e-mail groups and one SMS group. */
    const seeded = async (context: TestContext) => {
      const store = await open(context);
      const news = await store.createGroup({ name: 'Новости', systemName: 'news', channel: 'email' }, t0);
      const offers = await store.createGroup({ name: 'Offers', systemName: 'offers', channel: 'email' }, t0);
      const sms = await store.createGroup(
        { name: 'SMS alerts', systemName: 'sms_alerts', channel: 'sms' },
        t0,
      );
      const { value: contact } = await store.createContact(
        { email: 'Ann@Example.com', groupIds: [news.id, offers.id, sms.id], source: 'test', at: t0 },
        () => [],
      );
      return { store, news, offers, sms, contact };
    };

    test('two stores opened at once on one fresh database both migrate and work', async (context) => {
      const database = await options.makeDatabase(context);
      const stores = await Promise.all([openStore(database), openStore(database), openStore(database)]);
      context.onTestFinished(async () => {
        for (const store of stores) await store.close();
      });
      const [a, b] = stores;
      const group = await a.createGroup({ name: 'G', systemName: 'g', channel: 'email' }, t0);
      expect(await b.getGroup(group.id)).toEqual(group);
      // Reopening applies nothing new and keeps the data.
      const again = await openStore(database);
      expect(await again.listGroups()).toEqual([group]);
      await again.close();
    });

    test('outbox signal: another store’s committed events are announced where the backend reaches', async (context) => {
      const database = await options.makeDatabase(context);
      const [listening, writing] = [await openStore(database), await openStore(database)];
      context.onTestFinished(async () => {
        await listening.close();
        await writing.close();
      });
      let heard = 0;
      const stop = listening.onOutboxAppended(() => heard++);
      if (listening.outboxSignal === 'none') {
        await writing.appendEvents([outboxEvent({ event: 'message sent' })], t0);
        expect(heard).toBe(0);
        stop();
        return;
      }
      // The LISTEN connection opens in the background: append until one commit is heard.
      for (let tries = 0; heard === 0 && tries < 200; tries++) {
        await writing.appendEvents([outboxEvent({ event: 'message sent' })], t0);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(heard).toBeGreaterThan(0);
      // A rolled-back append announces nothing (NOTIFY is sent at commit).
      const before = heard;
      await expect(
        writing.createContact({ email: 'x@example.com', groupIds: [], source: 'test', at: t0 }, failing),
      ).rejects.toThrow('builder failed');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(heard).toBe(before);
      stop();
      await writing.appendEvents([outboxEvent({ event: 'message sent' })], t0);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(heard).toBe(before);
    });

    test('contacts: create, read, case-insensitive e-mail, numbers for ids and times', async (context) => {
      const store = await open(context);
      const { value: contact, events } = await store.createContact(
        {
          email: ' Ann@Example.com ',
          phone: '80123456789',
          extra: { city: 'Riga', n: 2 },
          source: 'api',
          at: t0,
        },
        () => [],
      );
      expect(events).toEqual([]);
      expect(contact).toMatchObject({ email: 'Ann@Example.com', phone: '80123456789', firstName: null });
      expect(contact.extra).toEqual({ city: 'Riga', n: 2 });
      expect(typeof contact.id).toBe('number');
      expect(contact.createdAt).toBe(t0);
      expect(await store.getContact(contact.id)).toEqual(contact);
      expect(await store.findContactByEmail('ANN@example.COM')).toEqual(contact);
      expect(await store.getContact(contact.id + 1000)).toBeUndefined();
      await expect(
        store.createContact({ email: 'ann@example.com', source: 'api', at: t0 }, () => []),
      ).rejects.toMatchObject({ code: 'email_taken', field: 'email' });
    });

    test('contacts: update, list by pages, delete without reusing the id', async (context) => {
      const store = await open(context);
      const make = async (email: string) =>
        (await store.createContact({ email, source: 'api', at: t0 }, () => [])).value;
      const a = await make('a@x.test');
      const b = await make('b@x.test');
      const updated = await store.updateContact(a.id, { firstName: 'Ann', extra: { k: [1, 'two'] } }, t0 + 5);
      expect(updated).toMatchObject({
        email: 'a@x.test',
        firstName: 'Ann',
        extra: { k: [1, 'two'] },
        updatedAt: t0 + 5,
      });
      await expect(store.updateContact(a.id, { email: 'B@X.test' }, t0)).rejects.toMatchObject({
        code: 'email_taken',
      });
      await expect(store.updateContact(9999, { phone: '1' }, t0)).rejects.toMatchObject({
        code: 'contact_not_found',
      });
      expect((await store.listContacts({ limit: 1 })).map((c) => c.id)).toEqual([a.id]);
      expect((await store.listContacts({ afterId: a.id })).map((c) => c.id)).toEqual([b.id]);
      // Contacts go only by erasure (history and suppression included); an id is never reused.
      const erase = () =>
        store.eraseContact({ contactId: b.id, at: t0, suppressionKey: (ch, ad) => `${ch}:${ad}` });
      expect(await erase()).toMatchObject({ contactId: b.id });
      expect(await erase()).toBeUndefined();
      const c = await make('c@x.test');
      expect(c.id).toBeGreaterThan(b.id);
    });

    test('groups: create, unique system name ignoring case, list by channel', async (context) => {
      const { store, news, offers, sms } = await seeded(context);
      expect(news).toMatchObject({ name: 'Новости', systemName: 'news', description: '', channel: 'email' });
      await expect(
        store.createGroup({ name: 'Other', systemName: 'NEWS', channel: 'sms' }, t0),
      ).rejects.toMatchObject({ code: 'system_name_taken', field: 'systemName' });
      expect(await store.findGroupBySystemName('News')).toEqual(news);
      expect(await store.listGroups()).toEqual([news, offers, sms]);
      expect(await store.listGroups({ channel: 'sms' })).toEqual([sms]);
      expect(await store.getGroups([sms.id, news.id, 999])).toEqual([news, sms]);
      expect(await store.getGroups([])).toEqual([]);
    });

    test('createContact subscribes and appends its events in one transaction', async (context) => {
      const { store, news, sms } = await seeded(context);
      const { value: contact, events } = await store.createContact(
        { email: 'bob@x.test', groupIds: [news.id, sms.id, news.id], source: 'api', at: t0 },
        onCreated,
      );
      expect(events.map((event) => JSON.parse(event.body))).toEqual([
        { event: 'contact adding', email: 'bob@x.test', groups_ids: [news.id, sms.id] },
      ]);
      expect((await store.getMemberships(contact.id)).map((m) => [m.group.id, m.state, m.source])).toEqual([
        [news.id, 'subscribed', 'api'],
        [sms.id, 'subscribed', 'api'],
      ]);
      await expect(
        store.createContact(
          { email: 'c@x.test', groupIds: [news.id, 999], source: 'api', at: t0 },
          onCreated,
        ),
      ).rejects.toMatchObject({ code: 'group_not_found', field: 'groupIds' });
      await expect(
        store.createContact({ email: 'd@x.test', groupIds: [news.id], source: 'api', at: t0 }, failing),
      ).rejects.toThrow('builder failed');
      expect(await store.findContactByEmail('c@x.test')).toBeUndefined();
      expect(await store.findContactByEmail('d@x.test')).toBeUndefined();
      expect(await store.listOutbox()).toHaveLength(1);
    });

    test('changeMemberships reports only real changes; a repeat changes and appends nothing', async (context) => {
      const { store, news, contact } = await seeded(context);
      const input = {
        contactId: contact.id,
        channel: 'email' as const,
        unsubscribe: [news.id],
        source: 'link',
      };
      const first = await store.changeMemberships({ ...input, at: t0 + 1 }, onChanged);
      expect(first.value).toEqual([{ group: news, state: 'unsubscribed' }]);
      expect(JSON.parse(first.events[0]?.body ?? '')).toEqual({
        event: 'mailing group unsubscribe',
        email: contact.email,
        group_id: news.id,
      });
      const again = await store.changeMemberships({ ...input, at: t0 + 2 }, failing);
      expect(again).toEqual({ value: [], events: [] });
      const [membership] = await store.getMemberships(contact.id, 'email');
      expect(membership).toEqual({ group: news, state: 'unsubscribed', changedAt: t0 + 1, source: 'link' });
    });

    test("unsubscribe 'all' leaves every subscribed group of that channel only", async (context) => {
      const { store, news, offers, sms, contact } = await seeded(context);
      const all = {
        contactId: contact.id,
        channel: 'email' as const,
        unsubscribe: 'all' as const,
        source: 'x',
      };
      const { value } = await store.changeMemberships({ ...all, at: t0 }, onChanged);
      expect(value.map((change) => change.group)).toEqual([news, offers]);
      expect((await store.getMemberships(contact.id, 'sms'))[0]?.state).toBe('subscribed');
      expect((await store.changeMemberships({ ...all, at: t0 }, onChanged)).value).toEqual([]);
      await expect(
        store.changeMemberships(
          { contactId: contact.id, unsubscribe: 'all', source: 'x', at: t0 },
          onChanged,
        ),
      ).rejects.toMatchObject({ code: 'invalid_input', field: 'channel' });
      expect(sms.channel).toBe('sms');
    });

    test('subscribe re-joins; subscribe + all keeps the ticked groups (the manager)', async (context) => {
      const { store, news, offers, contact } = await seeded(context);
      const base = { contactId: contact.id, channel: 'email' as const, source: 'manager', at: t0 };
      await store.changeMemberships({ ...base, unsubscribe: [news.id] }, onChanged);
      const { value, events } = await store.changeMemberships(
        { ...base, subscribe: [news.id], unsubscribe: 'all' },
        onChanged,
      );
      expect(value).toEqual([
        { group: news, state: 'subscribed' },
        { group: offers, state: 'unsubscribed' },
      ]);
      expect(events.map((event) => event.type)).toEqual([
        'mailing group subscribe',
        'mailing group unsubscribe',
      ]);
    });

    test('changeMemberships refuses unknown contacts and groups and foreign channels', async (context) => {
      const { store, news, sms, contact } = await seeded(context);
      const base = { source: 'x', at: t0 };
      await expect(
        store.changeMemberships({ ...base, contactId: 999, unsubscribe: [news.id] }, onChanged),
      ).rejects.toMatchObject({ code: 'contact_not_found', field: 'contactId' });
      await expect(
        store.changeMemberships({ ...base, contactId: contact.id, subscribe: [999] }, onChanged),
      ).rejects.toMatchObject({ code: 'group_not_found', field: 'groupIds' });
      await expect(
        store.changeMemberships(
          { ...base, contactId: contact.id, channel: 'email', unsubscribe: [sms.id] },
          onChanged,
        ),
      ).rejects.toMatchObject({ code: 'channel_mismatch' });
    });

    test('a throwing event builder rolls the membership change back', async (context) => {
      const { store, news, contact } = await seeded(context);
      await expect(
        store.changeMemberships(
          { contactId: contact.id, unsubscribe: [news.id], source: 'x', at: t0 },
          failing,
        ),
      ).rejects.toThrow('builder failed');
      expect((await store.getMemberships(contact.id))[0]?.state).toBe('subscribed');
      expect(await store.listOutbox()).toEqual([]);
    });

    test('concurrent identical unsubscribes change the row once', async (context) => {
      const { store, news, contact } = await seeded(context);
      const input = { contactId: contact.id, unsubscribe: [news.id], source: 'x', at: t0 };
      const results = await Promise.all([1, 2, 3].map(() => store.changeMemberships(input, onChanged)));
      expect(results.flatMap((result) => result.events)).toHaveLength(1);
    });

    test('outbox: bodies stored exactly, pending listing, dispatch marking', async (context) => {
      const store = await open(context);
      const body = '{"event":"message sent","name":"Тест «1»",  "n":4}';
      const [first, second] = await store.appendEvents(
        [
          { type: 'message sent', body },
          { type: 'complaint', body: '{"event":"complaint"}' },
        ],
        t0,
      );
      expect(first).toEqual({
        id: first?.id,
        type: 'message sent',
        body,
        createdAt: t0,
        dispatchedAt: null,
        orderingKey: null,
      });
      expect(second?.id).toBeGreaterThan(first?.id ?? 0);
      expect(await store.markDispatched([first?.id ?? 0, first?.id ?? 0], t0 + 9)).toBe(1);
      expect(await store.markDispatched([first?.id ?? 0], t0 + 10)).toBe(0);
      expect(await store.listOutbox({ pending: true })).toEqual([second]);
      const all = await store.listOutbox();
      expect(all[0]).toMatchObject({ body, dispatchedAt: t0 + 9 });
      expect(await store.listOutbox({ afterId: first?.id, limit: 5 })).toEqual([second]);
    });

    test('settings: JSON values by key, prefix listing, delete', async (context) => {
      const store = await open(context);
      await store.setSetting('page.logo', 'https://x.test/logo.png', t0);
      await store.setSetting('page.texts', { notice: 'Вы отписаны', n: 1 }, t0);
      await store.setSetting('page%', true, t0);
      await store.setSetting('page.logo', null, t0 + 1);
      expect(await store.getSetting('page.logo')).toBeNull();
      expect(await store.getSetting('missing')).toBeUndefined();
      expect(await store.listSettings('page.')).toEqual({
        'page.logo': null,
        'page.texts': { notice: 'Вы отписаны', n: 1 },
      });
      expect(Object.keys(await store.listSettings())).toHaveLength(3);
      expect(await store.deleteSetting('page%')).toBe(true);
      expect(await store.deleteSetting('page%')).toBe(false);
    });

    test('importContacts creates and merges in one transaction, never re-subscribing', async (context) => {
      const { store, news, offers, contact } = await seeded(context);
      await store.changeMemberships(
        { contactId: contact.id, unsubscribe: [news.id], source: 'x', at: t0 },
        onChanged,
      );
      await store.updateContact(contact.id, { phone: '1', extra: { a: 1, b: 1 } }, t0);
      const before = (await store.listOutbox()).length;
      const progress: number[] = [];
      const { value, events } = await store.importContacts(
        [
          { email: 'new@x.test', firstName: 'New', groupIds: [offers.id] },
          { email: 'ANN@example.com', lastName: 'Lee', extra: { b: 2 }, groupIds: [news.id, offers.id] },
        ],
        { source: 'import', at: t0 + 1, onCreated, onChanged, onProgress: (done) => progress.push(done) },
      );
      expect(value).toEqual({ created: 1, updated: 1 });
      expect(progress).toEqual([1, 2]);
      expect(events.map((event) => event.type)).toEqual(['contact adding']);
      const ann = await store.getContact(contact.id);
      expect(ann).toMatchObject({
        email: 'Ann@Example.com',
        phone: '1',
        lastName: 'Lee',
        extra: { a: 1, b: 2 },
      });
      // The earlier unsubscribe from news stands.
      expect((await store.getMemberships(contact.id, 'email')).map((m) => m.state)).toEqual([
        'unsubscribed',
        'subscribed',
      ]);
      expect(await store.listOutbox()).toHaveLength(before + 1);
    });

    test('importContacts imports nothing when any row fails', async (context) => {
      const { store, news } = await seeded(context);
      let calls = 0;
      const failSecond = (fact: ContactCreated) => {
        calls += 1;
        if (calls === 2) throw new Error('row 2 failed');
        return onCreated(fact);
      };
      const rows = [
        { email: 'one@x.test', groupIds: [news.id] },
        { email: 'two@x.test', groupIds: [] },
      ];
      await expect(
        store.importContacts(rows, { source: 'import', at: t0, onCreated: failSecond, onChanged }),
      ).rejects.toThrow('row 2 failed');
      await expect(
        store.importContacts([{ email: 'x@x.test', groupIds: [999] }], {
          source: 'import',
          at: t0,
          onCreated,
          onChanged,
        }),
      ).rejects.toMatchObject({ code: 'group_not_found' });
      expect(await store.findContactByEmail('one@x.test')).toBeUndefined();
      expect(await store.listContacts()).toHaveLength(1);
      expect(await store.listOutbox()).toEqual([]);
    });
    test('link unsubscribes: the ref marks exactly the rows a link left; reasons; any later change clears both', async (context) => {
      const { store, news, offers, sms, contact } = await seeded(context);
      // Another way out first: the manager leaves Offers (no ref).
      await store.changeMemberships(
        { contactId: contact.id, unsubscribe: [offers.id], source: 'manager', at: t0 + 1 },
        onChanged,
      );
      await store.changeMemberships(
        {
          contactId: contact.id,
          channel: 'email',
          unsubscribe: 'all',
          source: 'link',
          at: t0 + 2,
          unsubscribeRef: 'ref-a',
        },
        onChanged,
      );
      const left = await store.getLinkUnsubscribes(contact.id, 'ref-a');
      expect(left.map((m) => [m.group.id, m.state, m.changedAt, m.source])).toEqual([
        [news.id, 'unsubscribed', t0 + 2, 'link'],
      ]);
      expect(await store.getLinkUnsubscribes(contact.id, 'ref-b')).toEqual([]);
      expect(await store.getLinkUnsubscribes(contact.id + 1, 'ref-a')).toEqual([]);

      expect(
        await store.setUnsubscribeReason(contact.id, 'ref-a', { code: 'other', text: 'Слишком часто' }),
      ).toBe(1);
      expect(await store.setUnsubscribeReason(contact.id, 'ref-b', { code: 'too_many' })).toBe(0);
      const memberships = await store.getMemberships(contact.id);
      expect(memberships.find((m) => m.group.id === news.id)?.reason).toEqual({
        code: 'other',
        text: 'Слишком часто',
      });
      expect(memberships.find((m) => m.group.id === offers.id)?.reason).toBeUndefined();
      expect(memberships.find((m) => m.group.id === sms.id)?.reason).toBeUndefined();

      // Re-joining clears ref and reason, so the old link can no longer undo or annotate it.
      await store.changeMemberships(
        { contactId: contact.id, subscribe: [news.id], source: 'undo', at: t0 + 3 },
        onChanged,
      );
      expect(await store.getLinkUnsubscribes(contact.id, 'ref-a')).toEqual([]);
      expect(
        (await store.getMemberships(contact.id)).find((m) => m.group.id === news.id)?.reason,
      ).toBeUndefined();
    });

    test('groups: names per locale are stored, read back and replaced', async (context) => {
      const store = await open(context);
      const plain = await store.createGroup({ name: 'News', systemName: 'news', channel: 'email' }, t0);
      expect(plain.names).toBeUndefined();
      const named = await store.createGroup(
        {
          name: 'Новости',
          systemName: 'novosti',
          channel: 'email',
          names: { en: 'News', de: 'Neuigkeiten' },
        },
        t0,
      );
      expect(named.names).toEqual({ en: 'News', de: 'Neuigkeiten' });
      expect((await store.getGroup(named.id))?.names).toEqual({ en: 'News', de: 'Neuigkeiten' });
      expect((await store.setGroupNames(plain.id, { ru: 'Новости' })).names).toEqual({ ru: 'Новости' });
      expect((await store.setGroupNames(plain.id, {})).names).toBeUndefined();
      await expect(store.setGroupNames(9999, {})).rejects.toMatchObject({ code: 'group_not_found' });
    });
  });
}
