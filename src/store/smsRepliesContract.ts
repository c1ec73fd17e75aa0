/**
 * @module The SMS reply verbs' contract, run by each backend's test file: STOP leaves only SMS
 * groups, START re-joins exactly what the STOPs since the last START left, repeats change and emit
 * nothing, every contact with the phone is served, and an unknown phone writes nothing.
 */
import { describe, expect, test, type TestContext } from 'vitest';
import { openStore } from './openStore.js';
import { outboxEvent } from './outboxEvent.js';
import type { StoreContractOptions } from './storeContract.js';
import type { SmsCommand, SmsReplyInput } from './smsRepliesTypes.js';
import type { MembershipsChanged, NewOutboxEvent, Store } from './types.js';

const t0 = 1_700_000_000_000;
const onChanged = ({ contact, changed }: MembershipsChanged): NewOutboxEvent[] =>
  changed.map((change) =>
    outboxEvent({
      event: `mailing group ${change.state.slice(0, -1)}`,
      email: contact.email,
      group_id: change.group.id,
    }),
  );

/** Runs the SMS reply verbs' contract against one backend. */
export function runSmsRepliesContract(options: StoreContractOptions): void {
  describe.skipIf(options.skip ?? false)(`sms replies store contract: ${options.name}`, () => {
    const seeded = async (context: TestContext) => {
      const store: Store = await openStore(await options.makeDatabase(context));
      context.onTestFinished(() => store.close());
      const news = await store.createGroup({ name: 'News', systemName: 'news', channel: 'email' }, t0);
      const alerts = await store.createGroup({ name: 'Alerts', systemName: 'alerts', channel: 'sms' }, t0);
      const promo = await store.createGroup({ name: 'Promo', systemName: 'promo', channel: 'sms' }, t0);
      const { value: ann } = await store.createContact(
        {
          email: 'ann@example.com',
          phone: '+79123456789',
          groupIds: [news.id, alerts.id, promo.id],
          source: 'test',
          at: t0,
        },
        () => [],
      );
      const reply = (command: SmsCommand, at: number, phones = ['+79123456789', '79123456789']) => {
        const input: SmsReplyInput = {
          phones,
          from: '+79123456789',
          to: '4242',
          text: command.toUpperCase(),
          command,
          receivedAt: at - 5,
          source: 'sms-reply',
          at,
        };
        return store.applySmsReply(input, onChanged);
      };
      const states = async () =>
        (await store.getMemberships(ann.id)).map((m) => [m.group.systemName, m.state, m.source]);
      return { store, news, alerts, promo, ann, reply, states };
    };

    test('an unknown phone changes and records nothing', async (context) => {
      const { store, reply, ann } = await seeded(context);
      expect(await reply('stop', t0 + 1, ['+10000000000', '10000000000'])).toEqual({ value: [], events: [] });
      expect(await store.listSmsReplies(ann.id)).toEqual([]);
      expect(await store.listOutbox()).toEqual([]);
    });

    test('STOP leaves every SMS group once, with events and a record; a repeat changes nothing', async (context) => {
      const { store, reply, ann, alerts, promo, states } = await seeded(context);
      const first = await reply('stop', t0 + 1);
      expect(first.value.map((o) => [o.contact.id, o.changed.map((c) => [c.group.id, c.state])])).toEqual([
        [
          ann.id,
          [
            [alerts.id, 'unsubscribed'],
            [promo.id, 'unsubscribed'],
          ],
        ],
      ]);
      expect(first.events.map((e) => JSON.parse(e.body))).toEqual([
        { event: 'mailing group unsubscribe', email: 'ann@example.com', group_id: alerts.id },
        { event: 'mailing group unsubscribe', email: 'ann@example.com', group_id: promo.id },
      ]);
      expect(await states()).toEqual([
        ['news', 'subscribed', 'test'],
        ['alerts', 'unsubscribed', 'sms-reply'],
        ['promo', 'unsubscribed', 'sms-reply'],
      ]);
      const again = await reply('stop', t0 + 2);
      expect(again.events).toEqual([]);
      expect(again.value[0]?.changed).toEqual([]);
      expect(await store.listOutbox()).toHaveLength(2);
      expect(
        (await store.listSmsReplies(ann.id)).map((r) => [r.command, r.groupIds, r.from, r.to, r.receivedAt]),
      ).toEqual([
        ['stop', [], '+79123456789', '4242', t0 - 3],
        ['stop', [alerts.id, promo.id], '+79123456789', '4242', t0 - 4],
      ]);
    });

    test('START re-joins what the STOPs since the last START left, and only that', async (context) => {
      const { store, reply, ann, alerts, promo, states } = await seeded(context);
      // Promo was left by a link before the STOP: START must not bring it back.
      await store.changeMemberships(
        { contactId: ann.id, channel: 'sms', unsubscribe: [promo.id], source: 'link', at: t0 },
        () => [],
      );
      await reply('stop', t0 + 1);
      await reply('stop', t0 + 2);
      const start = await reply('start', t0 + 3);
      expect(start.events.map((e) => JSON.parse(e.body))).toEqual([
        { event: 'mailing group subscribe', email: 'ann@example.com', group_id: alerts.id },
      ]);
      expect(await states()).toEqual([
        ['news', 'subscribed', 'test'],
        ['alerts', 'subscribed', 'sms-reply'],
        ['promo', 'unsubscribed', 'link'],
      ]);
      const again = await reply('start', t0 + 4);
      expect(again.events).toEqual([]);
      expect((await store.listSmsReplies(ann.id))[0]).toMatchObject({ command: 'start', groupIds: [] });
      // Anything else is recorded and changes nothing.
      const none = await reply('none', t0 + 5);
      expect(none.events).toEqual([]);
      expect((await store.listSmsReplies(ann.id))[0]).toMatchObject({ command: 'none', text: 'NONE' });
    });

    test('every contact with the phone is served', async (context) => {
      const { store, reply, alerts } = await seeded(context);
      const { value: bob } = await store.createContact(
        { email: 'bob@example.com', phone: '79123456789', groupIds: [alerts.id], source: 'test', at: t0 },
        () => [],
      );
      const result = await reply('stop', t0 + 1);
      expect(result.value.map((o) => o.contact.email)).toEqual(['ann@example.com', 'bob@example.com']);
      expect(result.events).toHaveLength(3);
      expect(await store.listSmsReplies(bob.id)).toHaveLength(1);
    });
  });
}
