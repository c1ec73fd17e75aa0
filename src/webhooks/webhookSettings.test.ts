/**
 * @module Unit tests of the webhook settings service on a SQLite store with a fake sender: URL
 * normalisation, slots, the pending secret of an empty slot, and the rules on which saves need a test.
 */
import { describe, expect, test, type TestContext } from 'vitest';
import { eventSamples } from '../events/index.js';
import { openTestStore, sqliteTestDatabase } from '../../test/support/databases.js';
import type { SendRequest, WebhookSender } from './createWebhookSender.js';
import { verifyWebhook } from './verifyWebhook.js';
import {
  createWebhookSettings,
  normalizeWebhookUrl,
  parseSlot,
  pendingSecretKey,
} from './webhookSettings.js';

/** A sender answering `status`, recording what it was asked to send. */
function fakeSender(status = { value: 204 }) {
  const sent: SendRequest[] = [];
  const sender: WebhookSender = {
    send: async (request) => {
      sent.push(request);
      return { status: status.value, durationMs: 3, responseExcerpt: 'ok' };
    },
    close: async () => {},
  };
  return { sender, sent, status };
}

async function setUp(context: TestContext) {
  const store = await openTestStore(context, await sqliteTestDatabase(context));
  const clock = { now: 1_700_000_000_000 };
  const fake = fakeSender();
  const settings = createWebhookSettings({ store, sender: fake.sender, now: () => clock.now });
  return { store, clock, settings, ...fake };
}

describe('normalizeWebhookUrl and parseSlot', () => {
  test('normalises URLs and refuses what cannot be a webhook target', () => {
    expect(normalizeWebhookUrl(' HTTPS://Example.COM:443/a#frag ', 'common')).toBe('https://example.com/a');
    for (const bad of [
      '',
      'example.com/x',
      'mailto:a@b.c',
      'https://u:p@example.com/',
      'http://x/' + 'a'.repeat(2048),
    ]) {
      expect(() => normalizeWebhookUrl(bad, 'events.complaint')).toThrow(
        expect.objectContaining({ code: 'invalid_url', field: 'events.complaint' }),
      );
    }
  });

  test('maps slot names, accepting the Cyrillic сomplaint', () => {
    expect(parseSlot('common', 'slot')).toBeNull();
    expect(parseSlot(null, 'slot')).toBeNull();
    expect(parseSlot('\u0441omplaint', 'slot')).toBe('complaint');
    expect(() => parseSlot('Complaint', 'slot')).toThrow(expect.objectContaining({ code: 'unknown_event' }));
  });
});

describe('createWebhookSettings', () => {
  test('an empty slot is tested with a pending secret that the saved endpoint keeps', async (context) => {
    const { store, settings, sent, clock } = await setUp(context);
    const url = 'https://hooks.example.com/in';
    const result = await settings.test({ url, event: 'message open' });
    expect(result).toMatchObject({ ok: true, status: 204, sent: eventSamples['message open'] });
    expect(await store.lastEndpointTest(url)).toMatchObject({ ok: true, status: 204, at: clock.now });
    const pending = await store.getSetting(pendingSecretKey('message open'));
    expect(pending).toMatch(/^whsec_/);
    // A second test of the empty slot signs with the same pending secret.
    await settings.test({ url, event: 'message open' });
    const view = await settings.save({ events: { 'message open': url } });
    expect(view.events['message open']?.secret).toBe(pending);
    const request = sent[1]!;
    expect(verifyWebhook(pending as string, request.headers, request.body, { now: () => clock.now })).toEqual(
      eventSamples['message open'],
    );
  });

  test('a failed test after a passed one refuses the save', async (context) => {
    const { settings, status } = await setUp(context);
    const url = 'https://hooks.example.com/flaky';
    await settings.test({ url });
    status.value = 503;
    expect((await settings.test({ url })).ok).toBe(false);
    await expect(settings.save({ common: url })).rejects.toMatchObject({
      code: 'url_not_tested',
      field: 'common',
    });
  });

  test('re-saving the URL of a disabled endpoint needs a new test; removing needs none', async (context) => {
    const { store, settings, clock } = await setUp(context);
    const url = 'https://hooks.example.com/gone';
    await settings.test({ url, event: 'complaint' });
    const saved = await settings.save({ events: { complaint: url } });
    const id = saved.events.complaint!.id;
    await store.disableEndpoint(id, { reason: 'gone', at: clock.now });
    expect((await settings.get()).events.complaint).toMatchObject({ enabled: false, disabledReason: 'gone' });
    clock.now += 60 * 60 * 1000;
    await expect(settings.save({ events: { complaint: url } })).rejects.toMatchObject({
      code: 'url_not_tested',
    });
    await settings.test({ url, event: 'complaint' });
    expect((await settings.save({ events: { complaint: url } })).events.complaint).toMatchObject({
      id,
      enabled: true,
    });
    expect(await settings.save({ events: { complaint: null } })).toEqual({ common: null, events: {} });
    await expect(settings.rotateSecret('complaint')).rejects.toMatchObject({ code: 'endpoint_not_found' });
  });
});
