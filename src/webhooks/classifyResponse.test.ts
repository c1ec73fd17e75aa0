/** @module Tests of attempt classification and of the endpoint-disable rule. */
import { describe, expect, it } from 'vitest';
import { classifyResponse, disableAfterMs, shouldDisableEndpoint } from './index.js';

describe('classifyResponse', () => {
  it.each([
    [200, 'success'],
    [204, 'success'],
    [299, 'success'],
    [301, 'fail'],
    [302, 'fail'],
    [307, 'fail'],
    [400, 'fail'],
    [401, 'fail'],
    [404, 'fail'],
    [408, 'retry'],
    [410, 'disable'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
    [599, 'retry'],
  ] as const)('status %i → %s', (status, outcome) => {
    expect(classifyResponse(status)).toBe(outcome);
  });

  it.each([
    ['timeout', 'retry'],
    ['connection_reset', 'retry'],
    ['connection_refused', 'retry'],
    ['dns_failure', 'retry'],
    ['network_unreachable', 'retry'],
    ['tls_error', 'retry'],
    ['network_error', 'retry'],
    ['address_refused', 'fail'],
    ['invalid_url', 'fail'],
  ] as const)('error %s → %s', (code, outcome) => {
    expect(classifyResponse({ code })).toBe(outcome);
  });
});

describe('shouldDisableEndpoint', () => {
  const now = 10 * disableAfterMs;

  it('disables after 5 days of failures only', () => {
    expect(disableAfterMs).toBe(5 * 24 * 3600 * 1000);
    expect(shouldDisableEndpoint({ failingSince: now - disableAfterMs, now })).toBe(true);
    expect(shouldDisableEndpoint({ failingSince: now - disableAfterMs + 1, now })).toBe(false);
    expect(shouldDisableEndpoint({ failingSince: undefined, now })).toBe(false);
  });

  it('takes a compressed window', () => {
    expect(shouldDisableEndpoint({ failingSince: now - 1000, now, windowMs: 1000 })).toBe(true);
  });
});
