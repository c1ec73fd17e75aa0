/**
 * @module `/u/:token` over real HTTP on every store backend: the confirm page never changes state,
 * POST unsubscribes (all groups of the channel, or the named ones) with exact outbox bodies, repeats
 * emit nothing, redirect links answer 303, RFC 8058 one-click (urlencoded and multipart), and
 * confirmation switched off by option or by branding.
 */
import { describe, expect, test } from 'vitest';
import { brandingSettingKey } from '../../src/http/index.js';
import { testBackends } from '../support/databases.js';
import { membershipEvent, postForm, startHarness } from './httpHarness.js';

const backends = await testBackends('the PostgreSQL HTTP suite');

describe.each(backends)('/u/:token on $name', (backend) => {
  test('GET shows the masked address and "all email lists", and changes nothing', async (context) => {
    const h = await startHarness(context, backend);
    const before = await h.snapshot();
    const url = h.link({ action: 'unsubscribe' });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(html).toContain('a***@example.com');
    expect(html).not.toContain('ann.smith');
    expect(html).toContain('all email lists');
    expect(html).toMatch(/<form method="post">/);
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
    expect(await h.snapshot()).toBe(before);
  });

  test('POST from the page leaves every email group once, with the seed bodies', async (context) => {
    const h = await startHarness(context, backend);
    const url = h.link({ action: 'unsubscribe', messageUid: 'msg-1' });
    const eventsBefore = (await h.outbox()).length;
    const response = await postForm(url, { confirm: '1' });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('You are unsubscribed');
    expect(html).toContain('Новости');
    expect(html).toContain('Offers &amp; &lt;deals&gt;');
    expect(await h.states('email')).toEqual([
      ['Новости', 'unsubscribed'],
      ['Offers & <deals>', 'unsubscribed'],
    ]);
    expect(await h.states('sms')).toEqual([['SMS alerts', 'subscribed']]);
    expect((await h.outbox()).slice(eventsBefore)).toEqual([
      membershipEvent('mailing group unsubscribe', 'ann.smith@example.com', h.news),
      membershipEvent('mailing group unsubscribe', 'ann.smith@example.com', h.offers),
    ]);

    const snapshot = await h.snapshot();
    const again = await postForm(url, { confirm: '1' });
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('You were already unsubscribed');
    expect(await h.snapshot()).toBe(snapshot);
    expect(h.logged).toEqual([]);
  });

  test('Unsubscribe(…) links name their groups and leave only those', async (context) => {
    const h = await startHarness(context, backend);
    const url = h.link({ action: 'unsubscribe_groups', groupIds: [h.offers.id] });
    const page = await (await fetch(url)).text();
    expect(page).toContain('<li>Offers &amp; &lt;deals&gt;</li>');
    expect(page).not.toContain('Новости');
    const eventsBefore = (await h.outbox()).length;
    expect((await postForm(url, {})).status).toBe(200);
    expect(await h.states('email')).toEqual([
      ['Новости', 'subscribed'],
      ['Offers & <deals>', 'unsubscribed'],
    ]);
    expect((await h.outbox()).slice(eventsBefore)).toEqual([
      membershipEvent('mailing group unsubscribe', 'ann.smith@example.com', h.offers),
    ]);
  });

  test('SMS links mask the phone and leave only SMS groups', async (context) => {
    const h = await startHarness(context, backend);
    const url = h.link({ action: 'unsubscribe', channel: 'sms' });
    const page = await (await fetch(url)).text();
    expect(page).toContain('+79*******89');
    expect(page).toContain('all SMS lists');
    await postForm(url, {});
    expect(await h.states('sms')).toEqual([['SMS alerts', 'unsubscribed']]);
    expect(await h.states('email')).toEqual([
      ['Новости', 'subscribed'],
      ['Offers & <deals>', 'subscribed'],
    ]);
  });

  test('UnsubscribeRedirect: POST answers 303 to the signed URL; the page allows the form to go there', async (context) => {
    const h = await startHarness(context, backend);
    const url = h.link({
      action: 'unsubscribe_redirect',
      groupIds: [h.news.id],
      redirectUrl: 'https://sender.example.org/bye?x=1',
    });
    const page = await fetch(url);
    expect(page.headers.get('content-security-policy')).toContain(
      "form-action 'self' https://sender.example.org;",
    );
    expect(await page.text()).toContain('sender.example.org');
    const response = await postForm(url, { confirm: '1' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('https://sender.example.org/bye?x=1');
    expect(await h.states('email')).toEqual([
      ['Новости', 'unsubscribed'],
      ['Offers & <deals>', 'subscribed'],
    ]);
  });

  test('one-click (urlencoded): 200, tiny text, no cookie, no redirect, even for redirect links', async (context) => {
    const h = await startHarness(context, backend);
    const url = h.link({
      action: 'unsubscribe_redirect',
      groupIds: [h.news.id],
      redirectUrl: 'https://x.example/',
    });
    const eventsBefore = (await h.outbox()).length;
    const response = await postForm(url, { 'List-Unsubscribe': 'One-Click' });
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect((await response.text()).length).toBeLessThan(64);
    expect((await h.outbox()).slice(eventsBefore)).toEqual([
      membershipEvent('mailing group unsubscribe', 'ann.smith@example.com', h.news),
    ]);
    const snapshot = await h.snapshot();
    expect((await postForm(url, { 'List-Unsubscribe': 'One-Click' })).status).toBe(200);
    expect(await h.snapshot()).toBe(snapshot);
  });

  test('one-click (multipart/form-data) leaves every group of the channel', async (context) => {
    const h = await startHarness(context, backend);
    const url = h.link({ action: 'unsubscribe' });
    const form = new FormData();
    form.append('List-Unsubscribe', 'One-Click');
    const response = await fetch(url, { method: 'POST', body: form, redirect: 'manual' });
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(await h.states('email')).toEqual([
      ['Новости', 'unsubscribed'],
      ['Offers & <deals>', 'unsubscribed'],
    ]);
    const sources = await h.store.getMemberships(h.ann.id, 'email');
    expect(sources.map((m) => m.source)).toEqual(['one-click', 'one-click']);
  });

  test('confirm: false — GET unsubscribes at once (303 for redirect links); HEAD still does not', async (context) => {
    const h = await startHarness(context, backend, { confirm: false });
    const url = h.link({ action: 'unsubscribe_groups', groupIds: [h.offers.id] });
    const snapshot = await h.snapshot();
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
    expect(await h.snapshot()).toBe(snapshot);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('You are unsubscribed');
    expect(await h.states('email')).toEqual([
      ['Новости', 'subscribed'],
      ['Offers & <deals>', 'unsubscribed'],
    ]);
    const redirect = h.link({
      action: 'unsubscribe_redirect',
      groupIds: [h.news.id],
      redirectUrl: 'https://x.example/',
    });
    const redirected = await fetch(redirect, { redirect: 'manual' });
    expect(redirected.status).toBe(303);
    expect(redirected.headers.get('location')).toBe('https://x.example/');
  });

  test('branding: logo, notice and button with escaped subscriber tags; its confirm switch wins', async (context) => {
    const h = await startHarness(context, backend);
    await h.store.setSetting(
      brandingSettingKey,
      {
        logoUrl: 'https://cdn.example.com/logo.png',
        noticeText:
          'Hi {{subscriber_firstname}} from {{extraField.city}} <script>alert(1)</script> {{{subscriber_email}}}',
        buttonText: 'Bye, {{subscriber_lastname}}',
      },
      Date.now(),
    );
    const html = await (await fetch(h.link({ action: 'unsubscribe' }))).text();
    expect(html).toContain('<img class="logo" src="https://cdn.example.com/logo.png"');
    expect(html).toContain('Hi Ann from Riga &lt;script&gt;alert(1)&lt;/script&gt; ann.smith@example.com');
    expect(html).not.toContain('<script>');
    expect(html).toContain('>Bye, Smith</button>');

    // The stored switch overrides the app's default (without the ~1 s branding cache here).
    const h2 = await startHarness(context, backend, { confirm: true, brandingCacheMs: 0 });
    await h2.store.setSetting(brandingSettingKey, { confirm: false }, Date.now());
    expect(await (await fetch(h2.link({ action: 'unsubscribe' }))).text()).toContain('You are unsubscribed');
  });
});
