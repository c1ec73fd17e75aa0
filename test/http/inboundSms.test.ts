/**
 * @module STOP replies over HTTP on every store backend: `POST /api/inbound/sms` with each STOP and
 * START word in both alphabets, repeats that change and emit nothing, phones compared normalised,
 * an unknown phone that stores nothing, the confirmation text per locale from the setting, and
 * bad input as 401/422 naming the field.
 */
import { describe, expect, test, type TestContext } from 'vitest';
import { createAdminRouter } from '../../src/http/admin/index.js';
import {
  createSubscriptions,
  smsStartWords,
  smsStopWords,
  type EmittedEvent,
} from '../../src/subscriptions/index.js';
import { serveAdminApi } from '../support/serveAdminApi.js';
import { openTestStore, testBackends } from '../support/databases.js';

const backends = await testBackends('the PostgreSQL SMS replies suite');
const token = 'admin-token-for-tests-0123456789';
const at = 1_764_460_800_000;

/** Cyrillic letters that look like Latin capitals, and back. */
const swap: Record<string, string> = Object.fromEntries(
  [...'АВЕКМНОРСТХУ'].flatMap((cyrillic, i) => {
    const latin = 'ABEKMHOPCTXY'[i]!;
    return [
      [cyrillic, latin],
      [latin, cyrillic],
    ];
  }),
);
/** A word written with every lookalike letter in the other alphabet (`STOP` → `SТОР`). */
const otherAlphabet = (word: string) => [...word].map((char) => swap[char] ?? char).join('');

async function start(context: TestContext, backend: (typeof backends)[number]) {
  const store = await openTestStore(context, await backend.makeDatabase(context));
  const emitted: EmittedEvent[] = [];
  const subscriptions = createSubscriptions({ store, now: () => at, bus: { emit: (e) => emitted.push(e) } });
  const news = await subscriptions.createGroup({ name: 'News', systemName: 'news', channel: 'email' });
  const alerts = await subscriptions.createGroup({
    name: 'Оповещения',
    systemName: 'alerts',
    channel: 'sms',
  });
  const promo = await subscriptions.createGroup({ name: 'Promo', systemName: 'promo', channel: 'sms' });
  const ann = await subscriptions.createContact({
    email: 'ann@example.com',
    phone: '+7 (912) 345-67-89',
    groupIds: [news.id, alerts.id, promo.id],
  });
  emitted.length = 0;
  const router = createAdminRouter({ store, subscriptions, adminToken: token, now: () => at });
  const base = await serveAdminApi(context, { store, subscriptions, router });
  const api = async (method: string, path: string, body?: unknown, bearer: string | null = token) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    const response = await fetch(base + path, { method, headers, body: JSON.stringify(body) });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: response.status, body: (await response.json()) as any };
  };
  const sms = (text: string, from = '+79123456789') =>
    api('POST', '/api/inbound/sms', { from, text, to: '4242' });
  const states = async () =>
    (await store.getMemberships(ann.id)).map((m) => `${m.group.systemName}:${m.state}:${m.source}`);
  const snapshot = async () =>
    JSON.stringify({
      outbox: await store.listOutbox(),
      states: await states(),
      replies: await store.listSmsReplies(ann.id),
    });
  return { store, ann, alerts, promo, emitted, api, sms, states, snapshot };
}

describe.each(backends)('POST /api/inbound/sms on $name', (backend) => {
  test('each STOP word in both alphabets leaves the SMS groups; START and СТАРТ bring them back', async (context) => {
    const h = await start(context, backend);
    const variants = (word: string) => [word, otherAlphabet(word), ` ${word.toLowerCase()} `, `${word}.`];
    const starts = smsStartWords.flatMap(variants);
    let round = 0;
    for (const stop of smsStopWords.flatMap(variants)) {
      const stopped = await h.sms(stop);
      expect(stopped.status, stop).toBe(200);
      expect(stopped.body, stop).toMatchObject({ matched: true, command: 'stop' });
      expect(stopped.body.contacts[0].left.map((g: { systemName: string }) => g.systemName)).toEqual([
        'alerts',
        'promo',
      ]);
      expect(await h.states()).toEqual([
        'news:subscribed:api',
        'alerts:unsubscribed:sms-reply',
        'promo:unsubscribed:sms-reply',
      ]);
      const startWord = starts[round++ % starts.length]!;
      const started = await h.sms(startWord);
      expect(started.body, startWord).toMatchObject({ matched: true, command: 'start' });
      expect(await h.states()).toEqual([
        'news:subscribed:api',
        'alerts:subscribed:sms-reply',
        'promo:subscribed:sms-reply',
      ]);
    }
    // Two events per STOP and two per START, each emitted once.
    expect(h.emitted).toHaveLength(smsStopWords.length * 4 * 4);
  });

  test('repeats change nothing and emit nothing; events are emitted once', async (context) => {
    const h = await start(context, backend);
    const outboxBefore = (await h.store.listOutbox()).length; // the contact adding
    await h.sms('STOP');
    const afterFirst = h.emitted.length;
    expect(afterFirst).toBe(2);
    expect(h.emitted.map((e) => [e.event, e.group_name])).toEqual([
      ['mailing group unsubscribe', 'Оповещения'],
      ['mailing group unsubscribe', 'Promo'],
    ]);
    const again = await h.sms('стоп');
    expect(again.body).toMatchObject({ matched: true, command: 'stop', locale: 'ru' });
    expect(again.body.contacts[0].left).toEqual([]);
    expect(h.emitted).toHaveLength(2);
    expect(await h.store.listOutbox()).toHaveLength(outboxBefore + 2);
    await h.sms('START');
    await h.sms('START');
    expect(h.emitted.map((e) => e.event)).toEqual([
      'mailing group unsubscribe',
      'mailing group unsubscribe',
      'mailing group subscribe',
      'mailing group subscribe',
    ]);
    expect(await h.store.listOutbox()).toHaveLength(outboxBefore + 4);
  });

  test('phones are compared normalised; an unknown phone is 200 {matched:false} and stores nothing', async (context) => {
    const h = await start(context, backend);
    expect((await h.sms('STOP', '00 7 912 345-67-89')).body).toMatchObject({
      matched: true,
      command: 'stop',
    });
    expect((await h.sms('START', '7(912)3456789')).body).toMatchObject({ matched: true, command: 'start' });
    const before = await h.snapshot();
    const unknown = await h.sms('STOP', '+1 555 0100');
    expect(unknown).toEqual({ status: 200, body: { matched: false } });
    expect(await h.snapshot()).toBe(before);
    expect(h.emitted).toHaveLength(4);
  });

  test('anything else is recorded as not a command, with no reply and no change', async (context) => {
    const h = await start(context, backend);
    for (const text of ['STOP please', 'Hello', 'S T O P P', '']) {
      const answer = await h.sms(text);
      expect(answer.body, text).toMatchObject({ matched: true, command: 'none', reply: null });
    }
    expect(await h.states()).toEqual([
      'news:subscribed:api',
      'alerts:subscribed:api',
      'promo:subscribed:api',
    ]);
    expect((await h.store.listSmsReplies(h.ann.id)).map((r) => [r.command, r.text])).toEqual([
      ['none', ''],
      ['none', 'S T O P P'],
      ['none', 'Hello'],
      ['none', 'STOP please'],
    ]);
    expect(h.emitted).toEqual([]);
  });

  test('the confirmation text is chosen per locale, from the setting or the default', async (context) => {
    const h = await start(context, backend);
    expect((await h.sms('STOP')).body.reply).toBe(
      'You are unsubscribed and will get no more SMS from us. Reply START to subscribe again.',
    );
    expect((await h.sms('СТАРТ')).body).toMatchObject({
      locale: 'ru',
      reply: 'Вы снова подписаны. Чтобы отписаться, ответьте СТОП.',
    });
    const put = await h.api('PUT', '/api/settings/sms-replies', {
      ru: { stop: 'Shop: вы отписаны. СТАРТ — вернуться.' },
    });
    expect(put.status).toBe(200);
    expect((await h.api('GET', '/api/settings/sms-replies')).body).toEqual({
      ru: { stop: 'Shop: вы отписаны. СТАРТ — вернуться.' },
    });
    expect((await h.sms('ОТПИСАТЬСЯ')).body.reply).toBe('Shop: вы отписаны. СТАРТ — вернуться.');
    expect((await h.api('PUT', '/api/settings/sms-replies', { Russian: {} })).body.error).toMatchObject({
      code: 'invalid_input',
      field: 'Russian',
    });
  });

  test('bad input is 401 or 422 naming the field, and stores nothing', async (context) => {
    const h = await start(context, backend);
    const before = await h.snapshot();
    expect(
      (await h.api('POST', '/api/inbound/sms', { from: '+79123456789', text: 'STOP' }, null)).status,
    ).toBe(401);
    const cases: [unknown, string][] = [
      [{ text: 'STOP' }, 'from'],
      [{ from: 'call me', text: 'STOP' }, 'from'],
      [{ from: '+79123456789' }, 'text'],
      [{ from: '+79123456789', text: 42 }, 'text'],
      [{ from: '+79123456789', text: 'STOP', receivedAt: 'yesterday' }, 'receivedAt'],
      [{ from: '+79123456789', text: 'STOP', form: 'x' }, 'form'],
    ];
    for (const [body, field] of cases) {
      const answer = await h.api('POST', '/api/inbound/sms', body);
      expect(answer.status, JSON.stringify(body)).toBe(422);
      expect(answer.body.error.field, JSON.stringify(body)).toBe(field);
    }
    expect(await h.snapshot()).toBe(before);
  });
});
