/**
 * @module The console over HTTP (no browser): the session guard on every page and form, sign-in and
 * sign-out, the cookie's attributes and expiry, CSRF refusal, and each page's validation and error
 * answers (never a 500 for what a client can send).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { sessionCookieName } from '../../src/http/console/index.js';
import { brandingSettingKey } from '../../src/http/index.js';
import { startWebhookReceiver } from '../support/webhookReceiver.js';
import { adminToken, csrfOf, postForm, signIn, startConsole } from './consoleHarness.js';

/** Every console page (GET) and form (POST) behind the session. */
const pages = [
  '/settings/webhooks',
  '/deliveries',
  '/deliveries/1',
  '/settings/pages',
  '/settings/pages/preview/confirm',
  '/settings/pages/preview/manager',
  '/groups',
  '/contacts',
  '/contacts/1',
];
const forms = [
  '/signout',
  '/settings/webhooks/test',
  '/settings/webhooks/save',
  '/settings/webhooks/remove',
  '/settings/webhooks/rotate',
  '/settings/webhooks/enable',
  '/deliveries/replay',
  '/deliveries/1/retry',
  '/settings/pages',
  '/groups',
  '/contacts/1/memberships',
];

describe('the session guard', () => {
  test('without a session every page and form answers 303 to /signin?next=…', async (context) => {
    const { baseUrl, store } = await startConsole(context);
    for (const path of pages) {
      const response = await fetch(`${baseUrl}${path}`, { redirect: 'manual' });
      expect(response.status, path).toBe(303);
      const location = new URL(response.headers.get('location') ?? '', baseUrl);
      expect(location.pathname, path).toBe('/signin');
      expect(location.searchParams.get('next'), path).toBe(path);
    }
    for (const path of forms) {
      const response = await postForm(`${baseUrl}${path}`, { name: 'x', systemName: 'x', channel: 'email' });
      expect(response.status, path).toBe(303);
      expect(response.headers.get('location'), path).toMatch(/^\/signin\?next=/);
    }
    expect(await store.listGroups()).toEqual([]);
  });

  test('a forged, tampered or foreign-key cookie is no session', async (context) => {
    const { baseUrl } = await startConsole(context);
    const { cookie } = await signIn(baseUrl);
    const [name, jwt = ''] = cookie.split('=');
    const tampered = `${name}=${jwt.slice(0, -3)}${jwt.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    for (const value of [tampered, `${sessionCookieName}=not-a-jwt`, `${sessionCookieName}=`]) {
      const response = await fetch(`${baseUrl}/groups`, { headers: { cookie: value }, redirect: 'manual' });
      expect(response.status).toBe(303);
    }
    // A second console (another process: another random key) does not accept the first one's cookie.
    const other = await startConsole(context);
    const response = await fetch(`${other.baseUrl}/groups`, { headers: { cookie }, redirect: 'manual' });
    expect(response.status).toBe(303);
  });
});

describe('sign-in and sign-out', () => {
  test('the admin token starts a session: HttpOnly, SameSite=Strict, 12 h, then back to next', async (context) => {
    const { baseUrl } = await startConsole(context);
    const wrong = await postForm(`${baseUrl}/signin`, { token: 'not-the-token', next: '/deliveries' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('That is not the admin token');

    const response = await postForm(`${baseUrl}/signin`, {
      token: adminToken,
      next: '/deliveries?status=failed',
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/deliveries?status=failed');
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(new RegExp(`^${sessionCookieName}=[\\w-]+\\.[\\w-]+\\.[\\w-]+;`));
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Max-Age=43200');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).not.toContain('Secure'); // plain http, no secureCookies
  });

  test('next never leaves the console (no open redirect)', async (context) => {
    const { baseUrl } = await startConsole(context);
    for (const next of [
      '//evil.example/x',
      'https://evil.example/',
      '/\\evil.example',
      '/u/abc',
      '/api/groups',
    ]) {
      const response = await postForm(`${baseUrl}/signin`, { token: adminToken, next });
      expect(response.headers.get('location'), next).toBe('/dashboard');
    }
  });

  test('secureCookies marks the cookie Secure', async (context) => {
    const { baseUrl } = await startConsole(context, { secureCookies: true });
    const response = await postForm(`${baseUrl}/signin`, { token: adminToken });
    expect(response.headers.get('set-cookie')).toContain('; Secure');
  });

  test('the session expires after 12 hours', async (context) => {
    let now = Date.parse('2025-03-14T09:00:00Z');
    const { baseUrl } = await startConsole(context, { now: () => now });
    const { cookie } = await signIn(baseUrl);
    now += 12 * 60 * 60 * 1000 - 60_000;
    expect((await fetch(`${baseUrl}/groups`, { headers: { cookie }, redirect: 'manual' })).status).toBe(200);
    now += 2 * 60_000;
    expect((await fetch(`${baseUrl}/groups`, { headers: { cookie }, redirect: 'manual' })).status).toBe(303);
  });

  test('sign-out clears the cookie and revokes the session', async (context) => {
    const { baseUrl } = await startConsole(context);
    const session = await signIn(baseUrl);
    const response = await postForm(`${baseUrl}/signout`, {}, session);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/signin');
    expect(response.headers.get('set-cookie')).toMatch(new RegExp(`^${sessionCookieName}=; .*Max-Age=0`));
    const again = await fetch(`${baseUrl}/groups`, {
      headers: { cookie: session.cookie },
      redirect: 'manual',
    });
    expect(again.status).toBe(303);
  });
});

describe('CSRF', () => {
  test('a form without its token, with a wrong one or another session’s is refused with 403', async (context) => {
    const { baseUrl, store } = await startConsole(context);
    const session = await signIn(baseUrl);
    const other = await signIn(baseUrl);
    expect(other.csrf).not.toBe(session.csrf);
    const group = { name: 'News', systemName: 'news', channel: 'email' };
    for (const csrf of [undefined, '', 'x'.repeat(43), other.csrf]) {
      const fields = csrf === undefined ? group : { ...group, _csrf: csrf };
      const response = await postForm(`${baseUrl}/groups`, fields, { cookie: session.cookie });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('Form refused');
    }
    const json = await postForm(
      `${baseUrl}/settings/webhooks/test`,
      { slot: 'common', url: 'http://127.0.0.1:9/' },
      { cookie: session.cookie },
      { accept: 'application/json' },
    );
    expect(json.status).toBe(403);
    expect(await json.json()).toMatchObject({ error: { code: 'forbidden' } });
    expect(await store.listGroups()).toEqual([]);

    const ok = await postForm(`${baseUrl}/groups`, group, session);
    expect(ok.status).toBe(303);
    expect((await store.listGroups()).map((g) => g.systemName)).toEqual(['news']);
  });
});

describe('pages', () => {
  test('console pages carry a CSP that allows our script only; assets have their types', async (context) => {
    const { baseUrl } = await startConsole(context);
    const { cookie } = await signIn(baseUrl);
    const response = await fetch(`${baseUrl}/settings/webhooks`, { headers: { cookie } });
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(html).not.toMatch(/<script>|style="/);
    const script = /<script src="([^"]+)"/.exec(html)?.[1] ?? '';
    const stylesheet = /<link rel="stylesheet" href="([^"]+)"/.exec(html)?.[1] ?? '';
    const js = await fetch(`${baseUrl}${script}`);
    expect(js.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    expect(await js.text()).toContain('data-passed-url');
    expect((await fetch(`${baseUrl}${stylesheet}`)).headers.get('content-type')).toMatch(/^text\/css/);
  });

  test('webhooks: test over JSON, save refused (409) until that URL passed, then saved', async (context) => {
    const { baseUrl, store } = await startConsole(context);
    const session = await signIn(baseUrl);
    let status = 500;
    const receiver = await startWebhookReceiver((_request, response) =>
      response.writeHead(status).end('nope'),
    );
    context.onTestFinished(() => receiver.close());
    const url = `${receiver.origin}/hooks`;
    const slot = 'mailing group unsubscribe';
    const json = { accept: 'application/json' };

    const untested = await postForm(`${baseUrl}/settings/webhooks/save`, { slot, url }, session);
    expect(untested.status).toBe(409);
    expect(await untested.text()).toContain('has not been tested');

    const failed = await postForm(`${baseUrl}/settings/webhooks/test`, { slot, url }, session, json);
    expect(await failed.json()).toMatchObject({ ok: false, status: 500, responseExcerpt: 'nope' });
    expect((await postForm(`${baseUrl}/settings/webhooks/save`, { slot, url }, session)).status).toBe(409);

    status = 204;
    const passed = await postForm(`${baseUrl}/settings/webhooks/test`, { slot, url }, session, json);
    const result = (await passed.json()) as { ok: boolean; sent: string };
    expect(result.ok).toBe(true);
    expect(JSON.parse(result.sent)).toMatchObject({ event: 'mailing group unsubscribe' });
    expect(receiver.requests.at(-1)?.body).toBe(JSON.stringify(JSON.parse(result.sent)));

    const saved = await postForm(`${baseUrl}/settings/webhooks/save`, { slot, url }, session);
    expect(saved.status).toBe(303);
    expect((await store.endpointFor(slot))?.url).toBe(url);

    const bad = await postForm(`${baseUrl}/settings/webhooks/test`, { slot, url: 'ftp://x' }, session, json);
    expect(bad.status).toBe(422);
    const unknownSlot = await postForm(`${baseUrl}/settings/webhooks/test`, { slot: 'nope', url }, session);
    expect(unknownSlot.status).toBe(400);
    const rotate = await postForm(`${baseUrl}/settings/webhooks/rotate`, { slot: 'complaint' }, session);
    expect(rotate.status).toBe(404);
  });

  test('webhooks without script: the test result is rendered and Save enabled for that URL', async (context) => {
    const { baseUrl } = await startConsole(context);
    const session = await signIn(baseUrl);
    const receiver = await startWebhookReceiver();
    context.onTestFinished(() => receiver.close());
    const response = await postForm(
      `${baseUrl}/settings/webhooks/test`,
      { slot: 'complaint', url: receiver.origin },
      session,
    );
    expect(response.status).toBe(200);
    const html = await response.text();
    const row = html.slice(
      html.indexOf('id="slot-complaint"'),
      html.indexOf('id="slot-whatsapp-template-sent"'),
    );
    expect(row).toContain('Passed');
    expect(row).toContain(`data-passed-url="${receiver.origin}"`);
    expect(row).toMatch(/class="save primary">Save/);
    expect(row).toContain('&quot;event&quot;: &quot;complaint&quot;');
  });

  test('deliveries: bad filters and ids are answered, never a 500', async (context) => {
    const { baseUrl, logged } = await startConsole(context);
    const session = await signIn(baseUrl);
    const get = (path: string) => fetch(`${baseUrl}${path}`, { headers: { cookie: session.cookie } });
    const list = await get('/deliveries?status=bogus&event=nope&endpoint=x&before=-1');
    expect(list.status).toBe(200);
    const text = await list.text();
    expect(text).toContain('status must be one of');
    expect(text).toContain('is not an event type');
    expect((await get('/deliveries/abc')).status).toBe(404);
    expect((await get('/deliveries/99')).status).toBe(404);
    expect((await postForm(`${baseUrl}/deliveries/99/retry`, {}, session)).status).toBe(404);
    const replay = await postForm(
      `${baseUrl}/deliveries/replay`,
      { endpoint: '5', from: 'yesterday', to: '' },
      session,
    );
    expect(replay.status).toBe(422);
    expect(await replay.text()).toContain('Choose the endpoint');
    expect(logged).toEqual([]);
  });

  test('branding: validated like the API, stored in the same setting, previewed with subscriber tags', async (context) => {
    const { baseUrl, store } = await startConsole(context);
    const session = await signIn(baseUrl);
    const bad = await postForm(
      `${baseUrl}/settings/pages`,
      { logoUrl: 'http://insecure.example/logo.png', noticeText: '{{#if}}', buttonText: '', confirm: 'on' },
      session,
    );
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain('must be an absolute https URL');
    expect(html).toContain('has a broken tag');
    expect(await store.getSetting(brandingSettingKey)).toBeUndefined();

    const good = await postForm(
      `${baseUrl}/settings/pages`,
      {
        logoUrl: 'https://cdn.example/logo.png',
        noticeText: 'Hi {{subscriber_firstname}} <b>',
        buttonText: 'Leave',
        confirm: 'off',
      },
      session,
    );
    expect(good.status).toBe(303);
    expect(await store.getSetting(brandingSettingKey)).toEqual({
      logoUrl: 'https://cdn.example/logo.png',
      noticeText: 'Hi {{subscriber_firstname}} <b>',
      buttonText: 'Leave',
      confirm: false,
    });

    const draft = new URLSearchParams({
      draft: '1',
      noticeText: 'Bye {{subscriber_firstname}} <script>',
      buttonText: 'Go',
      confirm: 'on',
      logoUrl: 'nope',
    });
    const preview = await fetch(`${baseUrl}/settings/pages/preview/confirm?${draft}`, {
      headers: { cookie: session.cookie },
    });
    expect(preview.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
    expect(preview.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    const page = await preview.text();
    expect(page).toContain('Bye Jane &lt;script&gt;');
    expect(page).toContain('>Go</button>');
    expect(page).not.toContain('class="logo"'); // the invalid logo URL is left out of the draft
    // Saved branding (confirm off): the recipient sees the result page at once.
    const saved = await (
      await fetch(`${baseUrl}/settings/pages/preview/confirm`, { headers: { cookie: session.cookie } })
    ).text();
    expect(saved).toContain('You are unsubscribed');
    expect(saved).toContain('src="https://cdn.example/logo.png"');
  });

  test('groups and contacts: created and changed through the commands, with their events', async (context) => {
    const { baseUrl, store, subscriptions } = await startConsole(context);
    const session = await signIn(baseUrl);
    expect(
      (
        await postForm(
          `${baseUrl}/groups`,
          { name: 'Новости', systemName: 'news', channel: 'email' },
          session,
        )
      ).status,
    ).toBe(303);
    const taken = await postForm(
      `${baseUrl}/groups`,
      { name: 'Again', systemName: 'NEWS', channel: 'email' },
      session,
    );
    expect(taken.status).toBe(409);
    const badChannel = await postForm(
      `${baseUrl}/groups`,
      { name: 'X', systemName: 'x', channel: 'fax' },
      session,
    );
    expect(badChannel.status).toBe(422);
    const [news] = await store.listGroups();
    const offers = await subscriptions.createGroup({
      name: 'Offers',
      systemName: 'offers',
      channel: 'email',
    });
    const ann = await subscriptions.createContact({ email: 'ann@example.com', groupIds: [news!.id] });

    const found = await fetch(`${baseUrl}/contacts?email=ANN@example.com`, {
      headers: { cookie: session.cookie },
      redirect: 'manual',
    });
    expect(found.status).toBe(303);
    expect(found.headers.get('location')).toBe(`/contacts/${ann.id}`);
    expect(
      (await fetch(`${baseUrl}/contacts?email=nobody@example.com`, { headers: { cookie: session.cookie } }))
        .status,
    ).toBe(404);
    expect(
      (await fetch(`${baseUrl}/contacts?email=not-an-address`, { headers: { cookie: session.cookie } }))
        .status,
    ).toBe(422);

    const before = (await store.listOutbox({ limit: 100 })).length;
    const change = await postForm(
      `${baseUrl}/contacts/${ann.id}/memberships`,
      { channel: 'email', group: [String(offers.id)] },
      session,
    );
    expect(change.status).toBe(303);
    expect(change.headers.get('location')).toBe(`/contacts/${ann.id}?saved=email&joined=1&left=1`);
    const events = (await store.listOutbox({ limit: 100 }))
      .slice(before)
      .map((event) => JSON.parse(event.body));
    expect(events).toEqual([
      {
        event: 'mailing group subscribe',
        email: 'ann@example.com',
        group_id: offers.id,
        group_name: 'Offers',
        channel: 'email',
      },
      {
        event: 'mailing group unsubscribe',
        email: 'ann@example.com',
        group_id: news!.id,
        group_name: 'Новости',
        channel: 'email',
      },
    ]);
    const memberships = await store.getMemberships(ann.id);
    expect(memberships.map((m) => [m.group.systemName, m.state, m.source])).toEqual([
      ['news', 'unsubscribed', 'console'],
      ['offers', 'subscribed', 'console'],
    ]);
    const foreign = await postForm(
      `${baseUrl}/contacts/${ann.id}/memberships`,
      { channel: 'email', group: ['999'] },
      session,
    );
    expect(foreign.status).toBe(422);
    const garbage = await postForm(
      `${baseUrl}/contacts/${ann.id}/memberships`,
      { channel: 'fax', group: ['x'] },
      session,
    );
    expect(garbage.status).toBe(400);

    // A reason given on the done page shows beside the membership it came with.
    await subscriptions.unsubscribe({
      contactId: ann.id,
      channel: 'email',
      groupIds: [offers.id],
      source: 'link',
      unsubscribeRef: 'ref-1',
    });
    await subscriptions.recordUnsubscribeReason({
      contactId: ann.id,
      unsubscribeRef: 'ref-1',
      reason: { code: 'other', text: 'Too <often>' },
    });
    const page = await (
      await fetch(`${baseUrl}/contacts/${ann.id}`, { headers: { cookie: session.cookie } })
    ).text();
    expect(page).toContain('Reason: other: “Too &lt;often&gt;”');
  });

  test('hostile input: oversized and malformed bodies get 4xx pages, not 500', async (context) => {
    const { baseUrl, logged } = await startConsole(context);
    const session = await signIn(baseUrl);
    const huge = await postForm(`${baseUrl}/groups`, { name: randomBytes(50_000).toString('hex') }, session);
    expect(huge.status).toBe(413);
    const signin = await postForm(`${baseUrl}/signin`, { token: 'x'.repeat(10_000) });
    expect(signin.status).toBe(413);
    const wrongMethod = await fetch(`${baseUrl}/groups`, {
      method: 'PUT',
      headers: { cookie: session.cookie },
    });
    expect(wrongMethod.status).toBe(405);
    const page = await fetch(`${baseUrl}/signin?next=${'%'.repeat(3)}`);
    expect(page.status).toBe(200);
    expect(
      csrfOf(await (await fetch(`${baseUrl}/groups`, { headers: { cookie: session.cookie } })).text()),
    ).toBe(session.csrf);
    expect(logged).toEqual([]);
  });
});
