/**
 * @module The admin API of issue 11 on every backend: `POST /api/contacts/:id/erase` (and DELETE,
 * the same) answer with the counts, a re-created address says `suppressed`, and
 * `GET /api/suppressions` answers by hash with its errors naming the field.
 */
import { describe, expect, test, type TestContext } from 'vitest';
import { createAdminRouter } from '../../src/http/admin/index.js';
import { createSubscriptions } from '../../src/subscriptions/index.js';
import { serveAdminApi } from '../support/serveAdminApi.js';
import { openTestStore, testBackends } from '../support/databases.js';

const backends = await testBackends('the erasure API suite');
const token = 'admin-token-for-tests-0123456789';

async function startApi(context: TestContext, makeDatabase: (c: TestContext) => Promise<object>) {
  const store = await openTestStore(context, await makeDatabase(context));
  const subscriptions = createSubscriptions({ store });
  const router = createAdminRouter({ store, subscriptions, adminToken: token, logger: { error: () => {} } });
  const base = await serveAdminApi(context, { store, subscriptions, router });
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as any };
  };
  return { api, store };
}

describe.each(backends)('erasure API on $name', ({ makeDatabase }) => {
  test('erase answers with counts; the address comes back suppressed; look-ups by hash', async (context) => {
    const { api } = await startApi(context, makeDatabase);
    const news = (await api('POST', '/api/groups', { name: 'News', systemName: 'news', channel: 'email' }))
      .body;
    const offers = (
      await api('POST', '/api/groups', { name: 'Offers', systemName: 'offers', channel: 'email' })
    ).body;
    const ann = (
      await api('POST', '/api/contacts', { email: 'ann@example.com', groupIds: [news.id, offers.id] })
    ).body;
    expect(ann).not.toHaveProperty('suppressed');
    await api('POST', `/api/contacts/${ann.id}/unsubscribe`, { channel: 'email', groupIds: [news.id] });

    const erased = await api('POST', `/api/contacts/${ann.id}/erase`);
    expect(erased.status).toBe(200);
    expect(erased.body).toEqual({
      erased: {
        contactId: ann.id,
        memberships: 2,
        events: 2,
        deliveries: 0,
        cancelled: 0,
        attempts: 0,
        excerpts: 0,
        suppressed: [{ channel: 'email', groups: [news.id] }],
      },
    });
    expect((await api('GET', `/api/contacts/${ann.id}`)).status).toBe(404);
    expect((await api('POST', `/api/contacts/${ann.id}/erase`)).body.error).toMatchObject({
      code: 'contact_not_found',
      field: 'id',
    });

    expect((await api('GET', '/api/suppressions?email=ANN@example.com')).body).toEqual({
      suppressed: true,
      entries: [{ channel: 'email', groups: [news.id] }],
    });
    expect((await api('GET', '/api/suppressions?email=bob@example.com')).body).toEqual({
      suppressed: false,
      entries: [],
    });
    const missing = await api('GET', '/api/suppressions');
    expect(missing.status).toBe(422);
    expect(missing.body.error).toMatchObject({ code: 'invalid_input', field: 'query.email' });
    expect((await api('GET', '/api/suppressions?email=not-an-address')).status).toBe(422);

    const again = await api('POST', '/api/contacts', {
      email: 'Ann@example.com',
      groupIds: [news.id, offers.id],
    });
    expect(again.status).toBe(201);
    expect(again.body.suppressed).toEqual([{ channel: 'email', groups: [news.id] }]);
    expect(again.body.memberships.map((m: { state: string }) => m.state)).toEqual([
      'unsubscribed',
      'subscribed',
    ]);

    const deleted = await api('DELETE', `/api/contacts/${again.body.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.erased).toMatchObject({ contactId: again.body.id, memberships: 2 });
  });
});
