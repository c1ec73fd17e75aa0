/**
 * @module The subscription commands on every available store backend: exact event bodies,
 * idempotency, events and state in one transaction, bus after commit, clear input errors.
 */
import { describe, expect, test, vi, type TestContext } from 'vitest';
import { openTestStore, testBackends } from '../../test/support/databases.js';
import { eventSamples, eventSchemas, isEventType } from '../events/index.js';
import type { Store } from '../store/index.js';
import { createSubscriptions, type EmittedEvent, type SubscriptionsOptions } from './index.js';

const backends = await testBackends('the PostgreSQL subscriptions suite');
const at = 1_700_000_000_000;

describe.each(backends)('subscriptions on $name', (backend) => {
  /** A store with two e-mail groups and one SMS group, the commands over it, and what the bus saw. */
  const setUp = async (context: TestContext, extra: Partial<SubscriptionsOptions> = {}) => {
    const store: Store = await openTestStore(context, await backend.makeDatabase(context));
    const emitted: EmittedEvent[] = [];
    const subscriptions = createSubscriptions({
      store,
      bus: { emit: (event) => emitted.push(event) },
      now: () => at,
      ...extra,
    });
    const news = await subscriptions.createGroup({ name: 'Новости', systemName: 'news', channel: 'email' });
    const offers = await subscriptions.createGroup({
      name: 'Person unsubscribe (test)',
      systemName: 'offers',
      description: 'Deals',
      channel: 'email',
    });
    const sms = await subscriptions.createGroup({ name: 'SMS', systemName: 'sms', channel: 'sms' });
    const ann = await subscriptions.createContact({
      email: 'user@gmail.com',
      phone: '8 (012) 345-67-89',
      groupIds: [news.id, offers.id, sms.id],
    });
    emitted.length = 0;
    const bodies = async () => (await store.listOutbox({ limit: 1000 })).map((event) => event.body);
    return { store, subscriptions, emitted, news, offers, sms, ann, bodies };
  };

  test('unsubscribe emits the seed body per group left; a repeat emits nothing', async (context) => {
    const { subscriptions, emitted, offers, ann, bodies } = await setUp(context);
    const before = await bodies();
    const input = { contactId: ann.id, channel: 'email' as const, groupIds: [offers.id], source: 'link' };
    expect(await subscriptions.unsubscribe(input)).toEqual([offers]);
    const expected = `{"event":"mailing group unsubscribe","email":"user@gmail.com","group_id":${offers.id},"group_name":"Person unsubscribe (test)","channel":"email"}`;
    expect((await bodies()).slice(before.length)).toEqual([expected]);
    expect(emitted).toEqual([JSON.parse(expected)]);
    expect(await subscriptions.unsubscribe(input)).toEqual([]);
    expect(await bodies()).toHaveLength(before.length + 1);
    expect(emitted).toHaveLength(1);
  });

  test("unsubscribe 'all' leaves every subscribed group of that channel", async (context) => {
    const { subscriptions, store, emitted, news, offers, ann } = await setUp(context);
    const left = await subscriptions.unsubscribe({
      contactId: ann.id,
      channel: 'email',
      groupIds: 'all',
      source: 'x',
    });
    expect(left).toEqual([news, offers]);
    expect(emitted.map((event) => [event.event, event.group_id, event.group_name])).toEqual([
      ['mailing group unsubscribe', news.id, 'Новости'],
      ['mailing group unsubscribe', offers.id, 'Person unsubscribe (test)'],
    ]);
    expect((await store.getMemberships(ann.id, 'sms'))[0]?.state).toBe('subscribed');
  });

  test('subscribe re-joins with a subscribe event, once', async (context) => {
    const { subscriptions, emitted, news, ann } = await setUp(context);
    const base = { contactId: ann.id, channel: 'email' as const, groupIds: [news.id] };
    await subscriptions.unsubscribe({ ...base, source: 'link' });
    expect(await subscriptions.subscribe({ ...base, source: 'manager' })).toEqual([news]);
    expect(await subscriptions.subscribe({ ...base, source: 'manager' })).toEqual([]);
    expect(emitted.at(-1)).toEqual({
      event: 'mailing group subscribe',
      email: 'user@gmail.com',
      group_id: news.id,
      group_name: 'Новости',
      channel: 'email',
    });
    expect(emitted).toHaveLength(2);
  });

  test('setSubscriptions applies the ticked set and refuses groups the contact is not in', async (context) => {
    const { subscriptions, news, offers, sms, ann } = await setUp(context);
    const base = { contactId: ann.id, channel: 'email' as const, source: 'manager' };
    expect(await subscriptions.setSubscriptions({ ...base, subscribedGroupIds: [offers.id] })).toEqual({
      joined: [],
      left: [news],
    });
    expect(await subscriptions.setSubscriptions({ ...base, subscribedGroupIds: [news.id] })).toEqual({
      joined: [news],
      left: [offers],
    });
    const other = await subscriptions.createGroup({ name: 'Other', systemName: 'other', channel: 'email' });
    for (const allowJoin of [undefined, false]) {
      await expect(
        subscriptions.setSubscriptions({ ...base, subscribedGroupIds: [other.id], allowJoin }),
      ).rejects.toMatchObject({
        code: 'invalid_input',
        field: 'subscribedGroupIds',
      });
    }
    await expect(
      subscriptions.setSubscriptions({ ...base, subscribedGroupIds: [sms.id] }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(
      subscriptions.setSubscriptions({ ...base, contactId: 9999, subscribedGroupIds: [] }),
    ).rejects.toMatchObject({ code: 'contact_not_found' });
  });

  test('setSubscriptions with allowJoin joins new groups and leaves unticked ones in one call', async (context) => {
    const { subscriptions, store, emitted, news, offers, sms, ann, bodies } = await setUp(context);
    const other = await subscriptions.createGroup({ name: 'Other', systemName: 'other', channel: 'email' });
    const base = { contactId: ann.id, channel: 'email' as const, source: 'api' };
    const before = await bodies();
    const changeMemberships = vi.spyOn(store, 'changeMemberships');
    expect(
      await subscriptions.setSubscriptions({
        ...base,
        subscribedGroupIds: [other.id, offers.id],
        allowJoin: true,
      }),
    ).toEqual({ joined: [other], left: [news] });
    expect(changeMemberships).toHaveBeenCalledTimes(1);
    const event = (name: string, group: { id: number; name: string }) => ({
      event: `mailing group ${name}`,
      email: 'user@gmail.com',
      group_id: group.id,
      group_name: group.name,
      channel: 'email',
    });
    expect(emitted).toEqual([event('subscribe', other), event('unsubscribe', news)]);
    expect((await bodies()).slice(before.length).map((body) => JSON.parse(body))).toEqual(emitted);
    // A repeat changes nothing and emits nothing.
    expect(
      await subscriptions.setSubscriptions({
        ...base,
        subscribedGroupIds: [other.id, offers.id],
        allowJoin: true,
      }),
    ).toEqual({ joined: [], left: [] });
    expect(emitted).toHaveLength(2);
    // The store still checks the groups; its errors name the command's field.
    await expect(
      subscriptions.setSubscriptions({ ...base, subscribedGroupIds: [sms.id], allowJoin: true }),
    ).rejects.toMatchObject({ code: 'channel_mismatch', field: 'subscribedGroupIds' });
    await expect(
      subscriptions.setSubscriptions({ ...base, subscribedGroupIds: [9999], allowJoin: true }),
    ).rejects.toMatchObject({ code: 'group_not_found', field: 'subscribedGroupIds' });
    await expect(
      subscriptions.setSubscriptions({ ...base, contactId: 9999, subscribedGroupIds: [], allowJoin: true }),
    ).rejects.toMatchObject({ code: 'contact_not_found', field: 'contactId' });
    await expect(
      subscriptions.setSubscriptions({
        ...base,
        subscribedGroupIds: [],
        allowJoin: 'yes' as unknown as boolean,
      }),
    ).rejects.toMatchObject({ code: 'invalid_input', field: 'allowJoin' });
    expect(emitted).toHaveLength(2);
  });

  test('createContact emits one contact adding with the seed types and no subscribe events', async (context) => {
    const { subscriptions, emitted, store, news, offers } = await setUp(context);
    const contact = await subscriptions.createContact({
      email: 'new@x.test',
      groupIds: [offers.id, news.id],
    });
    expect(contact).toMatchObject({ email: 'new@x.test', phone: null });
    const expected = {
      event: 'contact adding',
      email: 'new@x.test',
      phone: '',
      groups_names: ['Person unsubscribe (test)', 'Новости'],
      groups_ids: [offers.id, news.id],
    };
    expect(emitted).toEqual([expected]);
    expect((await store.listOutbox({ limit: 1000 })).at(-1)?.body).toBe(JSON.stringify(expected));
    const ann = await store.findContactByEmail('USER@gmail.com');
    expect(ann?.phone).toBe('80123456789');
  });

  test('bad input is invalid_input naming the field; conflicts and missing rows have their codes', async (context) => {
    const { subscriptions, news, sms, ann } = await setUp(context);
    await expect(subscriptions.createContact({ email: 'not-an-address' })).rejects.toMatchObject({
      code: 'invalid_input',
      field: 'email',
    });
    await expect(subscriptions.createContact({ email: 'a@b.test', phone: 'call me' })).rejects.toMatchObject({
      field: 'phone',
    });
    await expect(subscriptions.createContact({ email: 'User@Gmail.com' })).rejects.toMatchObject({
      code: 'email_taken',
      field: 'email',
    });
    await expect(subscriptions.createContact({ email: 'a@b.test', groupIds: [999] })).rejects.toMatchObject({
      code: 'group_not_found',
    });
    await expect(
      subscriptions.createGroup({ name: 'Группа', systemName: 'группа', channel: 'email' }),
    ).rejects.toMatchObject({ code: 'invalid_input', field: 'systemName' });
    await expect(
      subscriptions.createGroup({ name: 'N', systemName: 'NEWS', channel: 'sms' }),
    ).rejects.toMatchObject({
      code: 'system_name_taken',
    });
    await expect(
      subscriptions.createGroup({ name: 'N', systemName: 'n', channel: 'fax' as 'sms' }),
    ).rejects.toMatchObject({ field: 'channel' });
    await expect(
      subscriptions.unsubscribe({ contactId: ann.id, channel: 'email', groupIds: [sms.id], source: 'x' }),
    ).rejects.toMatchObject({ code: 'channel_mismatch' });
    await expect(
      subscriptions.unsubscribe({ contactId: -1, channel: 'email', groupIds: [news.id], source: 'x' }),
    ).rejects.toMatchObject({ code: 'invalid_input', field: 'contactId' });
    await expect(
      subscriptions.unsubscribe({ contactId: 9999, channel: 'email', groupIds: 'all', source: 'x' }),
    ).rejects.toMatchObject({ code: 'contact_not_found' });
  });

  test('a throwing bus handler never breaks the command; the event stays in the outbox', async (context) => {
    const failures: string[] = [];
    const { subscriptions, store, news, ann } = await setUp(context, {
      bus: {
        emit: () => {
          throw new Error('handler down');
        },
      },
      onError: (error, event) => failures.push(`${event.event}: ${(error as Error).message}`),
    });
    expect(failures).toEqual(['contact adding: handler down']);
    failures.length = 0;
    const left = await subscriptions.unsubscribe({
      contactId: ann.id,
      channel: 'email',
      groupIds: [news.id],
      source: 'x',
    });
    expect(left).toEqual([news]);
    expect(failures).toEqual(['mailing group unsubscribe: handler down']);
    expect((await store.listOutbox({ pending: true, limit: 1000 })).at(-1)?.type).toBe(
      'mailing group unsubscribe',
    );
  });

  test("every body matches the catalog's strict schema and the seed's field order", async (context) => {
    const { subscriptions, store, news, ann } = await setUp(context);
    const base = { contactId: ann.id, channel: 'email' as const, groupIds: [news.id] };
    await subscriptions.unsubscribe({ ...base, source: 'x' });
    await subscriptions.subscribe({ ...base, source: 'x' });
    const outbox = await store.listOutbox({ limit: 100 });
    expect(outbox.map((event) => event.type)).toEqual([
      'contact adding',
      'mailing group unsubscribe',
      'mailing group subscribe',
    ]);
    for (const { type, body } of outbox) {
      if (!isEventType(type)) throw new Error(`not a catalog type: ${type}`);
      const parsed = JSON.parse(body) as Record<string, unknown>;
      expect(eventSchemas[type].safeParse(parsed).success).toBe(true);
      expect(Object.keys(parsed)).toEqual(Object.keys(eventSamples[type]));
    }
  });

  test('updateContact replaces the given fields only', async (context) => {
    const { subscriptions, ann } = await setUp(context);
    const updated = await subscriptions.updateContact(ann.id, {
      firstName: ' Ann ',
      extra: { city: 'Riga' },
    });
    expect(updated).toMatchObject({ email: 'user@gmail.com', phone: '80123456789', firstName: 'Ann' });
    expect(updated.extra).toEqual({ city: 'Riga' });
    await expect(subscriptions.updateContact(9999, { firstName: 'X' })).rejects.toMatchObject({
      code: 'contact_not_found',
    });
  });
});
