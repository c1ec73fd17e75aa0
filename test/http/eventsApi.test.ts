/**
 * @module `POST /api/events` over HTTP on every available store backend: one event or an array,
 * stored exactly as the catalog serialises it and announced on the bus; 422 with every issue
 * (index + path) and nothing stored when any item is invalid; the Cyrillic `сomplaint` normalised.
 */
import { describe, expect, test } from 'vitest';
import { eventSamples } from '../../src/events/index.js';
import { testBackends } from '../support/databases.js';
import { startWebhooksApi } from './webhooksApiHarness.js';

const backends = await testBackends('the PostgreSQL events API suite');

describe.each(backends)('POST /api/events on $name', (backend) => {
  test('stores one event exactly and announces it', async (context) => {
    const { api, store, emitted, clock } = await startWebhooksApi(context, backend);
    const sample = eventSamples['message sent'];
    const answer = await api('POST', '/api/events', sample);
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ accepted: 1, ids: [expect.any(Number)] });
    const [row] = await store.listOutbox();
    expect(row).toMatchObject({ id: answer.body.ids[0], type: 'message sent', createdAt: clock.now });
    expect(row?.body).toBe(JSON.stringify(sample));
    expect(emitted).toEqual([sample]);
  });

  test('stores an array in order, normalising the Cyrillic сomplaint', async (context) => {
    const { api, store, emitted } = await startWebhooksApi(context, backend);
    const cyrillic = { ...eventSamples.complaint, event: '\u0441omplaint' };
    const answer = await api('POST', '/api/events', [eventSamples['mailing group subscribe'], cyrillic]);
    expect(answer.status).toBe(202);
    expect(answer.body.accepted).toBe(2);
    const rows = await store.listOutbox();
    expect(rows.map((row) => row.id)).toEqual(answer.body.ids);
    expect(rows.map((row) => row.type)).toEqual(['mailing group subscribe', 'complaint']);
    expect(rows[1]?.body).toBe(JSON.stringify(eventSamples.complaint));
    expect(emitted).toHaveLength(2);
  });

  test('an invalid item refuses the whole batch with every issue by index and path', async (context) => {
    const { api, store, emitted } = await startWebhooksApi(context, backend);
    const bad = { ...eventSamples['contact adding'], groups_ids: [0, 'one'] };
    const answer = await api('POST', '/api/events', [
      eventSamples['message open'],
      bad,
      { event: 'message snet' },
    ]);
    expect(answer.status).toBe(422);
    expect(answer.body.error).toMatchObject({ code: 'invalid_event', field: '1.groups_ids.1' });
    expect(answer.body.error.message).toContain('2 events are not valid');
    expect(answer.body.error.issues).toEqual([
      expect.objectContaining({ index: 1, path: ['groups_ids', 1] }),
      expect.objectContaining({ index: 2, path: ['event'], code: 'unknown_event' }),
    ]);
    expect(await store.listOutbox()).toEqual([]);
    expect(emitted).toEqual([]);
  });

  test('a single invalid event names its field; odd bodies are refused cleanly', async (context) => {
    const { api, store } = await startWebhooksApi(context, backend);
    const { email: _dropped, ...missing } = eventSamples['contact adding'] as Record<string, unknown>;
    const single = await api('POST', '/api/events', missing);
    expect(single.status).toBe(422);
    expect(single.body.error.issues).toEqual([expect.objectContaining({ index: 0, path: ['email'] })]);
    expect(single.body.error.field).toBe('email');

    const empty = await api('POST', '/api/events', []);
    expect(empty.status).toBe(422);
    expect(empty.body.error.field).toBe('body');
    expect((await api('POST', '/api/events', 42)).status).toBe(400); // JSON, but not an object or array
    expect((await api('POST', '/api/events', undefined, { raw: '{"event":' })).status).toBe(400);
    expect((await api('POST', '/api/events', Array(1001).fill(eventSamples['message open']))).status).toBe(
      413,
    );
    expect(await store.listOutbox()).toEqual([]);
  });
});
