/** @module Tests of the locale claim `l`: encoded short, checked on signing, read back on verifying. */
import { describe, expect, it } from 'vitest';
import { KeyRing } from './KeyRing.js';
import { claimsProblem, decodePayload, encodePayload } from './linkClaims.js';
import type { LinkClaims } from './types.js';

const base: LinkClaims = { action: 'manage', contactId: 42, channel: 'email', groupIds: [], issuedAt: 10 };

describe('claim l (locale)', () => {
  it('is written as "l" before iat and read back', () => {
    const json = encodePayload({ ...base, locale: 'pt-BR' }, 10, undefined);
    expect(json).toBe('{"a":"m","c":42,"ch":"e","l":"pt-BR","iat":10}');
    expect(decodePayload(JSON.parse(json))).toEqual({ ...base, locale: 'pt-BR' });
    expect(decodePayload(JSON.parse(encodePayload(base, 10, undefined)))).toEqual(base);
  });

  it('refuses what is not a language tag, and a signed link keeps a well-formed unsupported one', () => {
    for (const locale of ['', 'x', 'ru_RU', '../../x', '<script>', 'en-' + 'a'.repeat(20), 'ru"']) {
      expect(claimsProblem({ ...base, locale }, 10, undefined), locale).toMatch(/^locale must be/);
    }
    const ring = KeyRing.generate();
    expect(() => ring.signLink({ ...base, locale: 'ru"x' })).toThrow(/locale/);
    const verified = ring.verifyLink(ring.signLink({ ...base, locale: 'sv' }));
    expect(verified.ok && verified.claims.locale).toBe('sv');
  });
});
