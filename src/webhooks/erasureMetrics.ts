/**
 * @module `/metrics` gauges of erasure scrubs in progress: how many, and how long the oldest has
 * waited. A scrub normally ends within the request that erased the contact; one still there after
 * a few minutes means its process died and no retention job (a dispatching process) has finished it
 * yet — the person's address is still in the history. Worth an alert (see the README).
 */
import { Gauge, type Registry } from 'prom-client';
import type { Store } from '../store/index.js';

/** Registers the two gauges in `registry`; each reads the (short) list of scrubs at a scrape. */
export function registerErasureMetrics(
  registry: Registry,
  store: Pick<Store, 'listErasureScrubs'>,
  now: () => number = Date.now,
): void {
  const read = async () => {
    const scrubs = await store.listErasureScrubs();
    return { count: scrubs.length, oldestAt: scrubs[0]?.createdAt ?? null };
  };
  new Gauge({
    name: 'unsub_erasure_scrubs_pending',
    help: 'Erasures whose history scrub has not finished (the address may still be in stored events).',
    registers: [registry],
    async collect() {
      this.set((await read()).count);
    },
  });
  new Gauge({
    name: 'unsub_erasure_oldest_scrub_age_seconds',
    help: 'Age of the oldest unfinished erasure scrub (0 when there is none).',
    registers: [registry],
    async collect() {
      const { oldestAt } = await read();
      this.set(oldestAt === null ? 0 : Math.max(0, (now() - oldestAt) / 1000));
    },
  });
}
