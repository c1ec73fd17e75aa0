/**
 * @module `/m/:token` over real HTTP on every store backend: the manager lists the contact's groups
 * of the link's channel with their state, GET changes nothing, POST applies the ticked set (one
 * event per changed group, nothing on a repeat), junk group ids are a 400 page, one-click leaves all.
 */
import { describe, expect, test } from 'vitest';
import { testBackends } from '../support/databases.js';
import { membershipEvent, postForm, startHarness } from './httpHarness.js';

const backends = await testBackends('the PostgreSQL HTTP suite');

/** The checkbox of a group in the manager's HTML (`checked` or not). */
function checkbox(html: string, groupId: number): string | undefined {
  return new RegExp(`<input type="checkbox" name="group" value="${groupId}"( checked)?>`).exec(html)?.[0];
}

describe.each(backends)('/m/:token on $name', (backend) => {
  test('GET lists the channel’s groups with their state and changes nothing', async (context) => {
    const h = await startHarness(context, backend);
    await h.subscriptions.unsubscribe({
      contactId: h.ann.id,
      channel: 'email',
      groupIds: [h.offers.id],
      source: 'test',
    });
    const before = await h.snapshot();
    const response = await fetch(h.link({ action: 'manage' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(html).toContain('a***@example.com');
    expect(checkbox(html, h.news.id)).toContain('checked');
    expect(checkbox(html, h.offers.id)).not.toContain('checked');
    expect(html).toContain('Offers &amp; &lt;deals&gt;');
    expect(html).toContain('Weekly deals');
    expect(checkbox(html, h.sms.id)).toBeUndefined();
    expect(await h.snapshot()).toBe(before);
  });

  test('POST applies the ticked set: one event per changed group, nothing new on a repeat', async (context) => {
    const h = await startHarness(context, backend);
    await h.subscriptions.unsubscribe({
      contactId: h.ann.id,
      channel: 'email',
      groupIds: [h.offers.id],
      source: 'test',
    });
    const url = h.link({ action: 'manage' });
    const eventsBefore = (await h.outbox()).length;
    // Untick news, tick offers.
    const response = await postForm(url, { save: '1', group: [String(h.offers.id)] });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('Saved.');
    expect(html).toContain('Subscribed to: Offers &amp; &lt;deals&gt;');
    expect(html).toContain('Unsubscribed from: Новости');
    expect(checkbox(html, h.offers.id)).toContain('checked');
    expect(checkbox(html, h.news.id)).not.toContain('checked');
    expect(await h.states('email')).toEqual([
      ['Новости', 'unsubscribed'],
      ['Offers & <deals>', 'subscribed'],
    ]);
    expect(await h.states('sms')).toEqual([['SMS alerts', 'subscribed']]);
    expect((await h.outbox()).slice(eventsBefore)).toEqual([
      membershipEvent('mailing group subscribe', 'ann.smith@example.com', h.offers),
      membershipEvent('mailing group unsubscribe', 'ann.smith@example.com', h.news),
    ]);
    const memberships = await h.store.getMemberships(h.ann.id, 'email');
    expect(memberships.map((m) => m.source)).toEqual(['manager', 'manager']);

    const snapshot = await h.snapshot();
    const again = await postForm(url, { save: '1', group: [String(h.offers.id)] });
    expect(await again.text()).toContain('Nothing changed.');
    expect(await h.snapshot()).toBe(snapshot);

    // Unticking everything leaves every group of the channel.
    await postForm(url, { save: '1' });
    expect(await h.states('email')).toEqual([
      ['Новости', 'unsubscribed'],
      ['Offers & <deals>', 'unsubscribed'],
    ]);
    expect(h.logged).toEqual([]);
  });

  test('junk or foreign group ids, or a form not from the page, are a 400 page and change nothing', async (context) => {
    const h = await startHarness(context, backend);
    const other = await h.subscriptions.createGroup({ name: 'Other', systemName: 'other', channel: 'email' });
    const url = h.link({ action: 'manage' });
    const snapshot = await h.snapshot();
    const forms: Record<string, string>[] = [
      { save: '1', group: 'abc' },
      { save: '1', group: '0' },
      { save: '1', group: '1e3' },
      { save: '1', group: String(other.id) }, // a group she has no membership in
      { save: '1', group: String(h.sms.id) }, // her group, but of the other channel
      { save: '1', group: '9'.repeat(400) },
      { group: String(h.news.id) }, // no "save": not sent by the manager page
    ];
    for (const fields of forms) {
      const response = await postForm(url, fields);
      expect(response.status, JSON.stringify(fields)).toBe(400);
      const html = await response.text();
      expect(html).toContain('This form could not be read');
    }
    expect(await h.snapshot()).toBe(snapshot);
    expect(h.logged).toEqual([]);
  });

  test('one-click POST to a manager link leaves every group of its channel', async (context) => {
    const h = await startHarness(context, backend);
    const response = await postForm(h.link({ action: 'manage' }), { 'List-Unsubscribe': 'One-Click' });
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(await h.states('email')).toEqual([
      ['Новости', 'unsubscribed'],
      ['Offers & <deals>', 'unsubscribed'],
    ]);
  });

  test('a contact without groups of the channel sees a friendly empty page', async (context) => {
    const h = await startHarness(context, backend);
    const bob = await h.subscriptions.createContact({ email: 'bob@example.net' });
    const html = await (await fetch(h.link({ action: 'manage', contactId: bob.id }))).text();
    expect(html).toContain('not on any email list');
  });
});
