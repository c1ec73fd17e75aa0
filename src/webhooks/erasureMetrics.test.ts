/** @module The erasure gauges: how many scrubs are unfinished and how old the oldest is, read at each scrape. */
import { Registry } from 'prom-client';
import { expect, test } from 'vitest';
import type { ErasureScrub } from '../store/index.js';
import { registerErasureMetrics } from './erasureMetrics.js';

test('the gauges count unfinished scrubs and age the oldest; none reads as 0', async () => {
  const now = 1_700_000_600_000;
  let scrubs: ErasureScrub[] = [
    { id: 3, contactId: 7, createdAt: now - 600_000, updatedAt: now - 590_000 },
    { id: 4, contactId: 9, createdAt: now - 5_000, updatedAt: now - 1_000 },
  ];
  const registry = new Registry();
  registerErasureMetrics(registry, { listErasureScrubs: async () => scrubs }, () => now);
  const text = await registry.metrics();
  expect(text).toContain('unsub_erasure_scrubs_pending 2');
  expect(text).toContain('unsub_erasure_oldest_scrub_age_seconds 600');

  scrubs = [];
  const after = await registry.metrics();
  expect(after).toContain('unsub_erasure_scrubs_pending 0');
  expect(after).toContain('unsub_erasure_oldest_scrub_age_seconds 0');
});
