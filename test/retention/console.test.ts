/**
 * @module The console's parts of issue 11: erasing a contact behind a typed confirmation, and
 * Settings ➔ Retention (shown, saved, validated, cleared back to UNSUB_RETENTION_DAYS), with the
 * audit log period and the autovacuum warning beside it.
 */
import { expect, test } from 'vitest';
import { readRetentionDays } from '../../src/webhooks/index.js';
import { postForm, signIn, startConsole } from '../http/consoleHarness.js';

test('erase: refused unless the address is typed, then the contact and its events are gone', async (context) => {
  const { baseUrl, store, subscriptions, logged } = await startConsole(context);
  const session = await signIn(baseUrl);
  const news = await subscriptions.createGroup({ name: 'News', systemName: 'news', channel: 'email' });
  const ann = await subscriptions.createContact({ email: 'Ann@Example.com', groupIds: [news.id] });
  const page = await (
    await fetch(`${baseUrl}/contacts/${ann.id}`, { headers: { cookie: session.cookie } })
  ).text();
  expect(page).toContain('Erase contact');
  expect(page).toContain('Type the contact');

  const wrong = await postForm(
    `${baseUrl}/contacts/${ann.id}/erase`,
    { confirm: 'ann@example.org' },
    session,
  );
  expect(wrong.status).toBe(422);
  expect(await wrong.text()).toContain('Not erased: type Ann@Example.com exactly to confirm.');
  expect(await store.getContact(ann.id)).toBeDefined();

  const erased = await postForm(
    `${baseUrl}/contacts/${ann.id}/erase`,
    { confirm: ' ann@example.com ' },
    session,
  );
  expect(erased.status).toBe(303);
  expect(erased.headers.get('location')).toBe('/contacts?erased=1-0-0-0');
  expect(await store.getContact(ann.id)).toBeUndefined();
  expect(await store.listOutbox()).toEqual([]);
  const list = await (
    await fetch(`${baseUrl}/contacts?erased=1-0-0-0`, { headers: { cookie: session.cookie } })
  ).text();
  expect(list).toContain(
    'Contact erased. Removed: events 1, deliveries 0 (pending cancelled: 0), attempts 0.',
  );
  const again = await postForm(
    `${baseUrl}/contacts/${ann.id}/erase`,
    { confirm: 'ann@example.com' },
    session,
  );
  expect(again.status).toBe(404);
  expect(logged).toEqual([]);
});

test('retention: shows the value in force, saves a valid one, refuses others, clears to the default', async (context) => {
  const { baseUrl, store, logged } = await startConsole(context);
  const session = await signIn(baseUrl);
  const page = await (
    await fetch(`${baseUrl}/settings/retention`, { headers: { cookie: session.cookie } })
  ).text();
  expect(page).toContain('<strong>30 days</strong>');
  expect(page).toContain('UNSUB_RETENTION_DAYS');

  for (const bad of ['zero', '0', '-3', '40000']) {
    const refused = await postForm(`${baseUrl}/settings/retention`, { days: bad }, session);
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('Days must be a number from 0.0001 to 36500');
  }
  const saved = await postForm(`${baseUrl}/settings/retention`, { days: '7,5' }, session);
  expect(saved.status).toBe(303);
  expect(await readRetentionDays(store, 30)).toEqual({ days: 7.5, fromSetting: true });
  const shown = await (
    await fetch(`${baseUrl}/settings/retention?saved=1`, { headers: { cookie: session.cookie } })
  ).text();
  expect(shown).toContain('<strong>7.5 days</strong> (saved here)');

  expect((await postForm(`${baseUrl}/settings/retention`, { days: '' }, session)).status).toBe(303);
  expect(await readRetentionDays(store, 30)).toEqual({ days: 30, fromSetting: false });
  expect(logged).toEqual([]);
});

test('retention: shows the audit log period, and warns while PostgreSQL runs without autovacuum', async (context) => {
  const { baseUrl, store, logged } = await startConsole(context, { auditRetentionDays: 90 });
  const session = await signIn(baseUrl);
  const load = async () =>
    (await fetch(`${baseUrl}/settings/retention`, { headers: { cookie: session.cookie } })).text();
  const page = await load();
  expect(page).toContain('kept for <strong>90 days</strong>');
  expect(page).toContain('UNSUB_AUDIT_RETENTION_DAYS');
  expect(page).not.toContain('without autovacuum');

  // What the PostgreSQL store answers on a server with autovacuum off (SQLite answers null).
  store.databaseMaintenance = () => Promise.resolve({ autovacuum: false });
  expect(await load()).toContain('PostgreSQL runs without autovacuum');
  expect(logged).toEqual([]);
});

test('retention: an audit period of 0 reads as kept for ever', async (context) => {
  const { baseUrl } = await startConsole(context, { auditRetentionDays: 0 });
  const session = await signIn(baseUrl);
  const page = await (
    await fetch(`${baseUrl}/settings/retention`, { headers: { cookie: session.cookie } })
  ).text();
  expect(page).toContain('kept for ever (<code>UNSUB_AUDIT_RETENTION_DAYS=0</code>');
});
