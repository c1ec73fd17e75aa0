/**
 * @module `/api/stats/…` over HTTP on real data (unsubscribes from real link/API commands, a real
 * delivery to a local receiver), their 422s, the console copy behind the session, and the audit
 * log: changes through the admin API and the console are recorded with route pattern, address and
 * session, shown newest first at /audit, and hold no token, secret or recipient address.
 */
import { describe, expect, test } from 'vitest';
import { adminToken, csrfOf, postForm, signIn, startConsole } from './consoleHarness.js';
import { startWebhookReceiver } from '../support/webhookReceiver.js';

describe('stats and audit', () => {
  test('the stats routes count what really happened', async (context) => {
    const { baseUrl, store, subscriptions, dispatcher } = await startConsole(context);
    const receiver = await startWebhookReceiver();
    context.onTestFinished(() => receiver.close());
    const api = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(`${baseUrl}/api${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${adminToken}`,
          'content-type': 'application/json',
          ...init.headers,
        },
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const news = await subscriptions.createGroup({ name: 'Новости', systemName: 'news', channel: 'email' });
    const promo = await subscriptions.createGroup({ name: 'Promo', systemName: 'promo', channel: 'email' });
    const endpoint = await store.putEndpoint({
      eventType: null,
      url: `${receiver.origin}/hooks`,
      secret: 'whsec_' + Buffer.alloc(24, 3).toString('base64'),
      at: Date.now(),
    });
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com']) {
      const contact = await subscriptions.createContact({ email, groupIds: [news.id, promo.id] });
      await subscriptions.unsubscribe({
        contactId: contact.id,
        channel: 'email',
        groupIds: [news.id],
        source: 'link',
      });
    }
    const last = (await store.findContactByEmail('c@example.com'))!;
    expect(
      (
        await api(`/contacts/${last.id}/unsubscribe`, {
          method: 'POST',
          body: JSON.stringify({ channel: 'email', groupIds: 'all' }),
        })
      ).status,
    ).toBe(200);
    // One contact's subscription events go one at a time (ordered per contact): run until all are out.
    for (let round = 0; round < 20; round += 1) {
      const { fannedOut, attempted } = await dispatcher.runOnce();
      if (fannedOut === 0 && attempted === 0) break;
    }

    const unsubscribes = (await api('/stats/unsubscribes')).body as {
      days: string[];
      counts: { day: string; groupId: number; source: string; count: number }[];
      total: number;
      sources: string[];
    };
    expect(unsubscribes.days).toHaveLength(30);
    expect(unsubscribes.total).toBe(4);
    expect(unsubscribes.sources).toEqual(['api', 'link']);
    const today = unsubscribes.days.at(-1);
    expect(unsubscribes.counts).toEqual(
      expect.arrayContaining([
        { day: today, groupId: news.id, source: 'link', count: 3 },
        { day: today, groupId: promo.id, source: 'api', count: 1 },
      ]),
    );

    const deliveries = (await api('/stats/deliveries')).body as {
      hours: string[];
      delivered: number[];
      failed: number[];
    };
    expect(deliveries.hours).toHaveLength(48);
    // 3 contact adding + 4 unsubscribes, all delivered to the common endpoint.
    expect(deliveries.delivered.reduce((a, b) => a + b, 0)).toBe(7);
    const other = (await api(`/stats/deliveries?endpoint=${endpoint.id + 1000}`)).body as {
      delivered: number[];
    };
    expect(other.delivered.reduce((a, b) => a + b, 0)).toBe(0);
    const latency = (await api('/stats/latency?hours=2')).body as {
      attempts: number[];
      p99Ms: (number | null)[];
    };
    expect(latency.attempts.reduce((a, b) => a + b, 0)).toBe(7);
    expect(latency.p99Ms.at(-1)).toEqual(expect.any(Number));
    expect((await api('/stats/backlog')).body).toEqual({
      pendingDeliveries: 0,
      undispatchedEvents: 0,
      oldestPendingAt: null,
      oldestPendingAgeSeconds: null,
    });
    const endpoints = (await api('/stats/endpoints')).body as {
      endpoints: { id: number; state: string; failureStreak: number }[];
    };
    expect(endpoints.endpoints).toEqual([
      expect.objectContaining({ id: endpoint.id, state: 'enabled', failureStreak: 0 }),
    ]);

    const bad = await api('/stats/deliveries?hours=9999');
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ error: { field: 'query.hours' } });
    expect((await api('/stats/unsubscribes?nope=1')).status).toBe(422);

    // The console's copy answers the session, and 401 without one.
    expect((await fetch(`${baseUrl}/console/api/stats/backlog`)).status).toBe(401);
    const session = await signIn(baseUrl);
    const viaConsole = await fetch(`${baseUrl}/console/api/stats/unsubscribes`, {
      headers: { cookie: session.cookie },
    });
    expect(((await viaConsole.json()) as { total: number }).total).toBe(4);
    const dashboard = await fetch(`${baseUrl}/dashboard`, { headers: { cookie: session.cookie } });
    const html = await dashboard.text();
    expect(dashboard.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(html).toMatch(
      /<script src="\/console\/assets\/chart\.umd\.js\?v(=|&#x3D;)[0-9a-f]{12}" defer><\/script>/,
    );
    expect(html).toContain(`href="/deliveries?endpoint=${endpoint.id}"`);
    const chart = (
      html.match(/src="(\/console\/assets\/chart\.umd\.js\?v(=|&#x3D;)[0-9a-f]+)"/)?.[1] ?? ''
    ).replace('&#x3D;', '=');
    const chartJs = await fetch(`${baseUrl}${chart}`);
    expect(chartJs.headers.get('content-type')).toMatch(/javascript/);
    expect(await chartJs.text()).toContain('Chart.js v4');
  });

  test('changes through the API and the console are audited without secrets, newest first', async (context) => {
    const { baseUrl, store } = await startConsole(context);
    const email = 'private.person@example.org';
    const created = await fetch(`${baseUrl}/api/contacts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email }),
    });
    const contactId = ((await created.json()) as { id: number }).id;
    await fetch(`${baseUrl}/api/contacts/${contactId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ firstName: 'Secretive' }),
    });
    // Refused and read-only requests change nothing and are not recorded.
    await fetch(`${baseUrl}/api/contacts`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong-token-xxxxxxxxxxxx' },
    });
    await fetch(`${baseUrl}/api/groups`, { headers: { authorization: `Bearer ${adminToken}` } });
    const session = await signIn(baseUrl);
    const groupsPage = await (
      await fetch(`${baseUrl}/groups`, { headers: { cookie: session.cookie } })
    ).text();
    const made = await postForm(
      `${baseUrl}/groups`,
      { name: 'Weekly', systemName: 'weekly', channel: 'email', _csrf: csrfOf(groupsPage) },
      { cookie: session.cookie },
    );
    expect(made.status).toBe(303);

    // Entries are written once each response has gone out: wait for the last one.
    let entries = await store.listAudit();
    for (let tries = 0; entries.length < 4 && tries < 100; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      entries = await store.listAudit();
    }
    expect(entries.map((entry) => `${entry.method} ${entry.route} ${entry.status}`)).toEqual([
      'POST /groups 303',
      'POST /signin 303',
      'PATCH /api/contacts/:id 200',
      'POST /api/contacts 201',
    ]);
    expect(entries[0]?.sessionId).toMatch(/^s_[A-Za-z0-9_-]{12}$/);
    expect(entries[3]?.sessionId).toBeNull();
    expect(entries.every((entry) => entry.sourceAddress.includes('127.0.0.1'))).toBe(true);

    const page = await (await fetch(`${baseUrl}/audit`, { headers: { cookie: session.cookie } })).text();
    const order = ['POST /groups', 'POST /signin', 'PATCH /api/contacts/:id', 'POST /api/contacts'].map(
      (text) => page.indexOf(`<code>${text}</code>`),
    );
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const stored = JSON.stringify(entries);
    for (const secret of [email, 'Secretive', adminToken, session.csrf, session.cookie.split('=')[1] ?? '']) {
      expect(stored).not.toContain(secret);
      // The page carries its own CSRF field (the sign-out form), nothing else of these.
      if (secret !== session.csrf) expect(page).not.toContain(secret);
    }
  });
});
