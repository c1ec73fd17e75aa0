/**
 * @module Undo and the reason question on the done page, over real HTTP on every store backend:
 * undo re-subscribes exactly what this link left (source `undo`, one `mailing group subscribe` per
 * group), works for 30 days and then explains why not, never for a link that left nothing or for a
 * one-click; the reason is stored with the change, readable in the admin API, never in events.
 */
import type { RequestHandler } from 'express';
import { describe, expect, test } from 'vitest';
import { createAdminRouter } from '../../src/http/admin/index.js';
import { brandingSettingKey } from '../../src/http/index.js';
import { testBackends } from '../support/databases.js';
import { membershipEvent, postForm, startHarness } from './httpHarness.js';

const backends = await testBackends('the PostgreSQL HTTP suite');
const day = 24 * 60 * 60 * 1000;
const token = 'admin-token-for-tests-0123456789';

describe.each(backends)('undo and reason on $name', (backend) => {
  test('the done page offers undo; undo re-joins exactly the groups this link left, with undo events', async (context) => {
    const h = await startHarness(context, backend);
    // Offers was left earlier through the manager: the link below must not bring it back.
    await postForm(h.link({ action: 'manage' }), { save: '1', group: String(h.news.id) });
    const url = h.link({ action: 'unsubscribe' });
    const done = await postForm(url, { confirm: '1' });
    const html = await done.text();
    expect(html).toContain('Unsubscribed by mistake?');
    expect(html).toMatch(
      /<input type="hidden" name="undo" value="1">\s*<p>.*<\/p>\s*<button type="submit" class="secondary">Re-subscribe<\/button>/s,
    );
    expect(html).toContain('You can undo this for 30 days.');
    expect(await h.states('email')).toEqual([
      ['Новости', 'unsubscribed'],
      ['Offers & <deals>', 'unsubscribed'],
    ]);

    const eventsBefore = (await h.outbox()).length;
    const undone = await postForm(url, { undo: '1' });
    expect(undone.status).toBe(200);
    const undoneHtml = await undone.text();
    expect(undoneHtml).toContain('You are subscribed again');
    expect(undoneHtml).toContain('<li>Новости</li>');
    expect(undoneHtml).not.toContain('Offers');
    expect(await h.states('email')).toEqual([
      ['Новости', 'subscribed'],
      ['Offers & <deals>', 'unsubscribed'],
    ]);
    expect((await h.store.getMemberships(h.ann.id, 'email'))[0]?.source).toBe('undo');
    expect((await h.outbox()).slice(eventsBefore)).toEqual([
      membershipEvent('mailing group subscribe', 'ann.smith@example.com', h.news),
    ]);

    // A second undo finds nothing left by this link: a clear 409 page, nothing changed.
    const snapshot = await h.snapshot();
    const again = await postForm(url, { undo: '1' });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('There is no unsubscribe through this link to undo');
    expect(await h.snapshot()).toBe(snapshot);
    expect(h.logged).toEqual([]);
  });

  test('undo works through a compact SMS link too, and only for that code', async (context) => {
    const h = await startHarness(context, backend);
    const claims = {
      action: 'unsubscribe' as const,
      contactId: h.ann.id,
      channel: 'sms' as const,
      groupIds: [],
    };
    const code = (issuedAt: number) => `${h.baseUrl}/s/${h.keyRing.signCompactLink({ ...claims, issuedAt })}`;
    const url = code(Math.floor(Date.now() / 1000));
    const other = code(Math.floor(Date.now() / 1000) - 3 * 86_400); // another SMS, another day
    expect(url).not.toBe(other);
    expect((await postForm(url, { confirm: '1' })).status).toBe(200);
    expect(await h.states('sms')).toEqual([['SMS alerts', 'unsubscribed']]);
    // Another code of the same contact did not do this unsubscribe: nothing to undo there.
    expect((await postForm(other, { undo: '1' })).status).toBe(409);
    expect(await h.states('sms')).toEqual([['SMS alerts', 'unsubscribed']]);
    const undone = await postForm(url, { undo: '1' });
    expect(undone.status).toBe(200);
    expect(await h.states('sms')).toEqual([['SMS alerts', 'subscribed']]);
  });

  test('undo on a link that never unsubscribed, or through another link, changes nothing (409)', async (context) => {
    const h = await startHarness(context, backend);
    const before = await h.snapshot();
    const never = await postForm(
      h.link({ action: 'unsubscribe' }),
      { undo: '1' },
      { headers: { 'Accept-Language': 'ru' } },
    );
    expect(never.status).toBe(409);
    const neverHtml = await never.text();
    expect(neverHtml).toContain('Это уже нельзя отменить');
    expect(await h.snapshot()).toBe(before);

    await postForm(h.link({ action: 'unsubscribe_groups', groupIds: [h.news.id] }), { confirm: '1' });
    const snapshot = await h.snapshot();
    const other = await postForm(
      h.link({ action: 'unsubscribe_groups', groupIds: [h.news.id], messageUid: 'other' }),
      {
        undo: '1',
      },
    );
    expect(other.status).toBe(409);
    expect(await h.snapshot()).toBe(snapshot);
  });

  test('undo works for 30 days, then explains why not', async (context) => {
    let now = Date.UTC(2026, 0, 1);
    const h = await startHarness(context, backend, {}, () => now);
    const url = h.link({ action: 'unsubscribe_groups', groupIds: [h.news.id] });
    await postForm(url, { confirm: '1' });
    now += 30 * day + 1;
    const snapshot = await h.snapshot();
    const late = await postForm(url, { undo: '1' }, { headers: { 'Accept-Language': 'pl' } });
    expect(late.status).toBe(409);
    expect(await late.text()).toContain('w ciągu 30 dni od wypisania');
    expect(await h.snapshot()).toBe(snapshot);

    const fresh = h.link({ action: 'unsubscribe_groups', groupIds: [h.offers.id] });
    await postForm(fresh, { confirm: '1' });
    now += 30 * day - 1;
    expect((await postForm(fresh, { undo: '1' })).status).toBe(200);
    expect(await h.states('email')).toEqual([
      ['Новости', 'unsubscribed'],
      ['Offers & <deals>', 'subscribed'],
    ]);
  });

  test('a one-click answer never offers undo, and its unsubscribe cannot be undone by the page', async (context) => {
    const h = await startHarness(context, backend);
    const url = h.link({ action: 'unsubscribe' });
    const oneClick = await postForm(url, { 'List-Unsubscribe': 'One-Click' });
    expect(oneClick.status).toBe(200);
    expect(await oneClick.text()).toBe('You are unsubscribed.\n');
    const snapshot = await h.snapshot();
    expect((await postForm(url, { undo: '1' })).status).toBe(409);
    expect(await h.snapshot()).toBe(snapshot);
  });

  test('askReason: the done page asks why; the answer is stored with the change, shown by the admin API, never in events', async (context) => {
    const admin: { router?: RequestHandler } = {};
    const h = await startHarness(context, backend, {
      mount: (app) => app.use('/api', (req, res, next) => admin.router?.(req, res, next)),
    });
    admin.router = createAdminRouter({
      store: h.store,
      subscriptions: h.subscriptions,
      adminToken: token,
      logger: { error: () => {} },
    });

    const url = h.link({ action: 'unsubscribe_groups', groupIds: [h.news.id] });
    expect(await (await postForm(url, { confirm: '1' })).text()).not.toContain('name="reason"');
    await postForm(url, { undo: '1' });

    await h.store.setSetting(brandingSettingKey, { askReason: true }, Date.now());
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the branding cache (1 s)
    const done = await (await postForm(url, { confirm: '1' })).text();
    expect(done).toContain('Would you tell us why? (optional)');
    expect(done).toContain('<textarea id="reason-text" name="reason_text" maxlength="500"');

    const eventsBefore = await h.outbox();
    const text = 'Слишком часто <b>и</b> не о том';
    const answered = await postForm(url, { reason_form: '1', reason: 'other', reason_text: text });
    expect(answered.status).toBe(200);
    const answeredHtml = await answered.text();
    expect(answeredHtml).toContain('Thank you for telling us.');
    expect(answeredHtml).not.toContain('name="reason"');
    expect(answeredHtml).toContain('Re-subscribe');
    expect(await h.outbox()).toEqual(eventsBefore);
    expect(JSON.stringify(await h.outbox())).not.toContain('Слишком часто');

    const contact = await fetch(`${h.baseUrl}/api/contacts/${h.ann.id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await contact.json()) as { memberships: { group: { id: number }; reason?: unknown }[] };
    expect(body.memberships.find((m) => m.group.id === h.news.id)?.reason).toEqual({ code: 'other', text });
    expect(body.memberships.find((m) => m.group.id === h.offers.id)?.reason).toBeUndefined();

    // Text over 500 characters is cut, an unknown code is ignored, and nothing is a 500.
    await postForm(url, { reason_form: '1', reason: 'other', reason_text: 'x'.repeat(5000) });
    expect((await h.store.getMemberships(h.ann.id, 'email'))[0]?.reason?.text).toHaveLength(500);
    expect((await postForm(url, { reason_form: '1', reason: 'hacked' })).status).toBe(200);
    expect((await h.store.getMemberships(h.ann.id, 'email'))[0]?.reason?.code).toBe('other');
    expect(h.logged).toEqual([]);
  });
});
