/**
 * @module The admin API over HTTP on every available store backend: bearer token (plaintext and
 * stored hash), groups, contacts with memberships, subscription changes with their outbox events,
 * page branding, and the error shapes (401/404/409/400/413/415/422 naming the field).
 */
import { describe, expect, test, type TestContext } from 'vitest';
import { adminTokenVerifier, createAdminRouter, hashAdminToken } from '../../src/http/admin/index.js';
import type { Store } from '../../src/store/index.js';
import { createSubscriptions } from '../../src/subscriptions/index.js';
import { serveAdminApi } from '../support/serveAdminApi.js';
import { openTestStore, testBackends } from '../support/databases.js';

const backends = await testBackends('the PostgreSQL admin API suite');
const token = 'admin-token-for-tests-0123456789';
const at = 1_700_000_000_000;

/** A response: status, headers and the parsed JSON body. */
interface Answer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Starts the app with the admin router at /api; closed when the test finishes. */
async function startAdmin(
  context: TestContext,
  store: Store,
  adminToken: Parameters<typeof createAdminRouter>[0]['adminToken'] = token,
) {
  const subscriptions = createSubscriptions({ store, now: () => at });
  const router = createAdminRouter({
    store,
    subscriptions,
    adminToken,
    now: () => at,
    logger: { error: () => {} },
  });
  const base = await serveAdminApi(context, { store, subscriptions, router });

  /** Calls the API; `body` is sent as JSON unless `raw` is given. */
  const api = async (
    method: string,
    path: string,
    body?: unknown,
    options: { token?: string | null; raw?: string; type?: string } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string> = {};
    const bearer = options.token === undefined ? token : options.token;
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    let payload: string | undefined = options.raw;
    if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = options.type ?? 'application/json';
    const response = await fetch(base + path, { method, headers, body: payload });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  return { api, subscriptions };
}

describe.each(backends)('admin API on $name', (backend) => {
  const setUp = async (context: TestContext, adminToken?: Parameters<typeof startAdmin>[2]) => {
    const store = await openTestStore(context, await backend.makeDatabase(context));
    const { api } = await startAdmin(context, store, adminToken);
    const outbox = async () =>
      (await store.listOutbox({ limit: 100 })).map((event) => JSON.parse(event.body));
    return { store, api, outbox };
  };

  /** Three groups: two e-mail (one Cyrillic), one SMS. */
  const makeGroups = async (api: Awaited<ReturnType<typeof setUp>>['api']) => {
    const news = (await api('POST', '/api/groups', { name: 'Новости', systemName: 'news', channel: 'email' }))
      .body;
    const promo = (
      await api('POST', '/api/groups', { name: 'Offers', systemName: 'promo', channel: 'email' })
    ).body;
    const sms = (await api('POST', '/api/groups', { name: 'SMS alerts', systemName: 'sms', channel: 'sms' }))
      .body;
    return { news, promo, sms };
  };

  test('refuses requests without the right bearer token', async (context) => {
    const { api } = await setUp(context);
    const missing = await api('GET', '/api/groups', undefined, { token: null });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="unsub"');
    expect(missing.body.error).toMatchObject({ code: 'unauthorized', field: 'Authorization' });
    const wrong = await api('GET', '/api/groups', undefined, { token: `${token}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
    // A bad body from a stranger is not even parsed: still 401, not 400.
    expect((await api('POST', '/api/groups', undefined, { token: null, raw: '{oops' })).status).toBe(401);
    expect((await api('GET', '/api/groups')).status).toBe(200);
  });

  test('accepts a token of which only the SHA-256 is known', async (context) => {
    const { api } = await setUp(context, adminTokenVerifier({ sha256: hashAdminToken(token) }));
    expect((await api('GET', '/api/groups')).status).toBe(200);
    expect(
      (await api('GET', '/api/groups', undefined, { token: 'another-token-of-some-length' })).status,
    ).toBe(401);
  });

  test('creates, lists and gets groups, naming the field at fault', async (context) => {
    const { api } = await setUp(context);
    const created = await api('POST', '/api/groups', {
      name: 'Новости',
      systemName: 'news',
      description: 'Weekly',
      channel: 'email',
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/api/groups/${created.body.id}`);
    expect(created.body).toEqual({
      id: expect.any(Number),
      name: 'Новости',
      systemName: 'news',
      description: 'Weekly',
      channel: 'email',
      createdAt: new Date(at).toISOString(),
    });
    await api('POST', '/api/groups', { name: 'SMS', systemName: 'sms', channel: 'sms' });

    const taken = await api('POST', '/api/groups', { name: 'Again', systemName: 'NEWS', channel: 'email' });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({ code: 'system_name_taken', field: 'systemName' });
    const badChannel = await api('POST', '/api/groups', { name: 'X', systemName: 'x', channel: 'fax' });
    expect(badChannel.status).toBe(422);
    expect(badChannel.body.error).toMatchObject({ code: 'invalid_input', field: 'channel' });
    const typo = await api('POST', '/api/groups', {
      name: 'X',
      systemName: 'x',
      channel: 'sms',
      chanel: 'sms',
    });
    expect(typo.body.error).toMatchObject({ code: 'invalid_input', field: 'chanel' });
    const cyrillicSystemName = await api('POST', '/api/groups', {
      name: 'X',
      systemName: 'новости',
      channel: 'sms',
    });
    expect(cyrillicSystemName.body.error.field).toBe('systemName');

    expect(
      (await api('GET', '/api/groups')).body.groups.map((g: { systemName: string }) => g.systemName),
    ).toEqual(['news', 'sms']);
    expect((await api('GET', '/api/groups?channel=sms')).body.groups).toHaveLength(1);
    const badQuery = await api('GET', '/api/groups?channel=pigeon');
    expect(badQuery.status).toBe(422);
    expect(badQuery.body.error.field).toBe('query.channel');
    expect((await api('GET', `/api/groups/${created.body.id}`)).body).toEqual(created.body);
    for (const path of ['/api/groups/999', '/api/groups/abc']) {
      const missing = await api('GET', path);
      expect(missing.status).toBe(404);
      expect(missing.body.error).toMatchObject({ code: 'group_not_found', field: 'id' });
    }
  });

  test('creates a contact in groups with one contact adding event, then finds and updates it', async (context) => {
    const { api, outbox } = await setUp(context);
    const { news, sms } = await makeGroups(api);
    const created = await api('POST', '/api/contacts', {
      email: 'User@Gmail.com',
      phone: '8 (012) 345-67-89',
      firstName: 'Анна',
      extra: { city: 'Riga' },
      groupIds: [news.id, sms.id],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      email: 'User@Gmail.com',
      phone: '80123456789',
      firstName: 'Анна',
      lastName: null,
      extra: { city: 'Riga' },
    });
    expect(
      created.body.memberships.map((m: { group: { id: number }; state: string; source: string }) => [
        m.group.id,
        m.state,
        m.source,
      ]),
    ).toEqual([
      [news.id, 'subscribed', 'api'],
      [sms.id, 'subscribed', 'api'],
    ]);
    expect(await outbox()).toEqual([
      {
        event: 'contact adding',
        email: 'User@Gmail.com',
        phone: '80123456789',
        groups_names: ['Новости', 'SMS alerts'],
        groups_ids: [news.id, sms.id],
      },
    ]);

    const taken = await api('POST', '/api/contacts', { email: 'user@gmail.COM' });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({ code: 'email_taken', field: 'email' });
    const badEmail = await api('POST', '/api/contacts', { email: 'not an address' });
    expect(badEmail.status).toBe(422);
    expect(badEmail.body.error).toMatchObject({ code: 'invalid_input', field: 'email' });
    const badGroup = await api('POST', '/api/contacts', { email: 'b@example.com', groupIds: [news.id, 999] });
    expect(badGroup.status).toBe(404);
    expect(badGroup.body.error).toMatchObject({ code: 'group_not_found', field: 'groupIds' });
    const badGroupId = await api('POST', '/api/contacts', { email: 'b@example.com', groupIds: ['x'] });
    expect(badGroupId.body.error).toMatchObject({ code: 'invalid_input', field: 'groupIds.0' });
    expect(await outbox()).toHaveLength(1);

    const id = created.body.id as number;
    expect((await api('GET', `/api/contacts/${id}`)).body).toEqual(created.body);
    expect((await api('GET', '/api/contacts?email=USER%40gmail.com')).body.contacts).toEqual([created.body]);
    expect((await api('GET', '/api/contacts?email=nobody%40example.com')).body).toEqual({ contacts: [] });
    const listed = await api('GET', '/api/contacts?limit=1');
    expect(listed.body).toMatchObject({ contacts: [{ id }], nextAfterId: id });
    expect((await api('GET', `/api/contacts?afterId=${id}`)).body).toEqual({
      contacts: [],
      nextAfterId: null,
    });

    const patched = await api('PATCH', `/api/contacts/${id}`, { lastName: 'Иванова', phone: null });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ firstName: 'Анна', lastName: 'Иванова', phone: null });
    expect(patched.body.memberships).toHaveLength(2);
    await api('POST', '/api/contacts', { email: 'other@example.com' });
    const clash = await api('PATCH', `/api/contacts/${id}`, { email: 'OTHER@example.com' });
    expect(clash.status).toBe(409);
    expect(clash.body.error.field).toBe('email');
    const missing = await api('PATCH', '/api/contacts/9999', { lastName: 'X' });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'contact_not_found', field: 'id' });
    expect((await api('GET', '/api/contacts/0')).status).toBe(404);
  });

  test('unsubscribes, subscribes and sets groups, emitting one event per real change', async (context) => {
    const { api, outbox } = await setUp(context);
    const { news, promo, sms } = await makeGroups(api);
    const id = (await api('POST', '/api/contacts', { email: 'user@gmail.com', groupIds: [news.id, sms.id] }))
      .body.id;
    const states = (body: { memberships: { group: { id: number }; state: string }[] }) =>
      Object.fromEntries(body.memberships.map((m) => [m.group.id, m.state]));

    const left = await api('POST', `/api/contacts/${id}/unsubscribe`, { channel: 'email', groupIds: 'all' });
    expect(left.status).toBe(200);
    expect(left.body.left.map((g: { id: number }) => g.id)).toEqual([news.id]);
    expect(states(left.body)).toEqual({ [news.id]: 'unsubscribed', [sms.id]: 'subscribed' });
    const repeat = await api('POST', `/api/contacts/${id}/unsubscribe`, {
      channel: 'email',
      groupIds: [news.id],
    });
    expect(repeat.body.left).toEqual([]);

    const joined = await api('POST', `/api/contacts/${id}/subscribe`, {
      channel: 'email',
      groupIds: [news.id],
    });
    expect(joined.body.joined.map((g: { id: number }) => g.id)).toEqual([news.id]);

    // The PUT body is the wanted set: join promo (never a member before), leave news.
    const set = await api('PUT', `/api/contacts/${id}/groups`, { channel: 'email', subscribed: [promo.id] });
    expect(set.status).toBe(200);
    expect(set.body.joined.map((g: { id: number }) => g.id)).toEqual([promo.id]);
    expect(set.body.left.map((g: { id: number }) => g.id)).toEqual([news.id]);
    expect(states(set.body)).toEqual({
      [news.id]: 'unsubscribed',
      [promo.id]: 'subscribed',
      [sms.id]: 'subscribed',
    });

    const event = (name: string, group: { id: number; name: string }) => ({
      event: `mailing group ${name}`,
      email: 'user@gmail.com',
      group_id: group.id,
      group_name: group.name,
      channel: 'email',
    });
    expect((await outbox()).slice(1)).toEqual([
      event('unsubscribe', news),
      event('subscribe', news),
      event('subscribe', promo),
      event('unsubscribe', news),
    ]);

    const mismatch = await api('PUT', `/api/contacts/${id}/groups`, {
      channel: 'email',
      subscribed: [sms.id],
    });
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.error).toMatchObject({ code: 'channel_mismatch', field: 'subscribed' });
    const unknown = await api('POST', `/api/contacts/${id}/subscribe`, { channel: 'email', groupIds: [999] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'group_not_found', field: 'groupIds' });
    const badAll = await api('POST', `/api/contacts/${id}/subscribe`, { channel: 'email', groupIds: 'all' });
    expect(badAll.body.error).toMatchObject({ code: 'invalid_input', field: 'groupIds' });
    const noContact = await api('POST', '/api/contacts/9999/unsubscribe', {
      channel: 'email',
      groupIds: 'all',
    });
    expect(noContact.status).toBe(404);
    expect(noContact.body.error).toMatchObject({ code: 'contact_not_found', field: 'id' });
    expect(await outbox()).toHaveLength(5);

    // DELETE erases (README, Decisions): the answer counts what was removed.
    const deleted = await api('DELETE', `/api/contacts/${id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.erased).toMatchObject({ contactId: id });
    expect((await api('GET', `/api/contacts/${id}`)).status).toBe(404);
  });

  test('reads and replaces the page branding', async (context) => {
    const { api } = await setUp(context);
    expect((await api('GET', '/api/settings/pages')).body).toEqual({});
    const insecure = await api('PUT', '/api/settings/pages', { logoUrl: 'http://example.com/logo.png' });
    expect(insecure.status).toBe(422);
    expect(insecure.body.error).toMatchObject({ code: 'invalid_input', field: 'logoUrl' });
    expect((await api('PUT', '/api/settings/pages', { confirm: 'no' })).body.error.field).toBe('confirm');
    const branding = {
      logoUrl: 'https://example.com/logo.png',
      noticeText: '{{subscriber_firstname}}, sorry to see you go',
      buttonText: 'Отписаться',
      confirm: false,
    };
    const saved = await api('PUT', '/api/settings/pages', branding);
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual(branding);
    expect((await api('GET', '/api/settings/pages')).body).toEqual(branding);
  });

  test('answers unreadable requests with JSON errors', async (context) => {
    const { api } = await setUp(context);
    const malformed = await api('POST', '/api/groups', undefined, { raw: '{"name": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('malformed_json');
    const large = await api('POST', '/api/contacts', {
      email: 'a@example.com',
      extra: { big: 'x'.repeat(300_000) },
    });
    expect(large.status).toBe(413);
    expect(large.body.error.code).toBe('payload_too_large');
    const form = await api('POST', '/api/groups', undefined, {
      raw: 'name=x',
      type: 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    expect(form.body.error).toMatchObject({ code: 'unsupported_media_type', field: 'Content-Type' });
    // No body at all reads as {}: the route names the missing field instead of answering 415.
    const id = (await api('POST', '/api/contacts', { email: 'user@gmail.com' })).body.id;
    const noBody = await api('POST', `/api/contacts/${id}/subscribe`);
    expect(noBody.status).toBe(422);
    expect(noBody.body.error).toMatchObject({ code: 'invalid_input', field: 'channel' });
    const emptyJson = await api('POST', `/api/contacts/${id}/subscribe`, undefined, { raw: '' });
    expect(emptyJson.status).toBe(422);
    expect(emptyJson.body.error.field).toBe('channel');
    const text = await api('POST', `/api/contacts/${id}/subscribe`, undefined, {
      raw: 'channel=email',
      type: 'text/plain',
    });
    expect(text.status).toBe(415);
    expect(text.body.error).toMatchObject({ code: 'unsupported_media_type', field: 'Content-Type' });
    const notAnObject = await api('POST', '/api/groups', [1, 2]);
    expect(notAnObject.status).toBe(422);
    expect(notAnObject.body.error.field).toBe('body');
    const nowhere = await api('GET', '/api/nowhere');
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.error.code).toBe('not_found');
    expect(nowhere.headers.get('cache-control')).toBe('no-store');
    expect(nowhere.headers.get('x-frame-options')).toBe('DENY');
  });
});
