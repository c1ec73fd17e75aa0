/**
 * @module `unsub_unsubscribes_total{channel,source}`: groups left, counted after the commit by the
 * subscription commands' `onUnsubscribed` hook. Label values are bounded: a source outside the known
 * set counts as `other` (sources are free text in the store).
 */
import { Counter, type Registry } from 'prom-client';

/** The sources a label may name. */
const knownSources = new Set(['link', 'one-click', 'manager', 'undo', 'api', 'import', 'console', 'demo']);

/** Registers the counter in `registry`; returns the hook for `createSubscriptions`. */
export function createUnsubscribeMetrics(
  registry: Registry,
): (change: { channel: string; source: string; count: number }) => void {
  const counter = new Counter({
    name: 'unsub_unsubscribes_total',
    help: 'Groups left (one per contact and group), by channel and where the request came from',
    labelNames: ['channel', 'source'] as const,
    registers: [registry],
  });
  return ({ channel, source, count }) =>
    counter.inc({ channel, source: knownSources.has(source) ? source : 'other' }, count);
}
