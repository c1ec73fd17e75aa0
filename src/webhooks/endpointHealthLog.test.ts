/** @module The dispatcher's endpoint state log: one line per change, never one per attempt. */
import { describe, expect, test } from 'vitest';
import { createEndpointHealthLog } from './endpointHealthLog.js';

describe('createEndpointHealthLog', () => {
  test('logs failing, recovered and disabled once each, with the origin only', () => {
    const lines: string[] = [];
    const health = createEndpointHealthLog({
      info: (m) => lines.push(`info ${m}`),
      warn: (m) => lines.push(`warn ${m}`),
    });
    const url = 'https://hooks.example.com/secret-path?key=abc';
    const retry = { outcome: 'pending' as const };
    const ok = { outcome: 'succeeded' as const };
    health.note({ endpointId: 1, url, endpointFirstFailureAt: null, decision: ok, at: 0 });
    for (let at = 1000; at < 6000; at += 1000) {
      health.note({ endpointId: 1, url, endpointFirstFailureAt: null, decision: retry, at });
    }
    health.note({ endpointId: 1, url, endpointFirstFailureAt: 1000, decision: ok, at: 7000 });
    health.note({ endpointId: 1, url, endpointFirstFailureAt: 1000, decision: ok, at: 7001 });
    health.note({
      endpointId: 2,
      url,
      endpointFirstFailureAt: 5,
      decision: { outcome: 'failed', disableEndpoint: 'gone' },
      at: 8000,
    });
    expect(lines).toEqual([
      'warn webhook endpoint 1 (https://hooks.example.com) failing since 1970-01-01T00:00:01.000Z',
      'info webhook endpoint 1 (https://hooks.example.com) recovered: delivering again after failing since 1970-01-01T00:00:01.000Z',
      'warn webhook endpoint 2 (https://hooks.example.com) disabled: it answered 410 Gone',
    ]);
  });

  test('an endpoint already failing when first seen is not announced again', () => {
    const lines: string[] = [];
    const health = createEndpointHealthLog({ info: (m) => lines.push(m), warn: (m) => lines.push(m) });
    const decision = { outcome: 'pending' as const };
    health.note({ endpointId: 3, url: 'http://127.0.0.1:9/x', endpointFirstFailureAt: 10, decision, at: 20 });
    expect(lines).toEqual([]);
    health.note({
      endpointId: 3,
      url: 'http://127.0.0.1:9/x',
      endpointFirstFailureAt: 10,
      decision: { outcome: 'failed', disableEndpoint: 'failing' },
      at: 30,
    });
    expect(lines).toEqual([
      'webhook endpoint 3 (http://127.0.0.1:9) disabled: it has only failed since 1970-01-01T00:00:00.010Z',
    ]);
    // Claimed again later: it was re-enabled (enabling clears its failure run).
    health.note({
      endpointId: 3,
      url: 'http://127.0.0.1:9/x',
      endpointFirstFailureAt: null,
      decision: { outcome: 'succeeded' },
      at: 40,
    });
    expect(lines.slice(1)).toEqual([
      'webhook endpoint 3 (http://127.0.0.1:9) re-enabled: attempting deliveries again',
    ]);
  });
});
