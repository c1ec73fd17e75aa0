/**
 * @module Property-based tests of link tokens: any input gives a verdict (never a throw), any
 * single-character change of a valid token fails, and valid claims round-trip exactly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyRing, type KeyAlg, type LinkClaimsInput } from './index.js';

const rings: Record<KeyAlg, KeyRing> = {
  HS256: KeyRing.generate(),
  EdDSA: KeyRing.generate({ alg: 'EdDSA' }),
};
const base64urlChars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('');

const claimsArbitrary: fc.Arbitrary<LinkClaimsInput> = fc.oneof(
  fc.record({
    action: fc.constantFrom('unsubscribe' as const, 'manage' as const),
    contactId: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    channel: fc.constantFrom('email' as const, 'sms' as const),
    groupIds: fc.constant([]),
    messageUid: fc.option(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/), { nil: undefined }),
    issuedAt: fc.integer({ min: 0, max: 4_000_000_000 }),
  }),
  fc.record({
    action: fc.constant('unsubscribe_groups' as const),
    contactId: fc.integer({ min: 1, max: 2 ** 31 }),
    channel: fc.constantFrom('email' as const, 'sms' as const),
    groupIds: fc.uniqueArray(fc.integer({ min: 1, max: 2 ** 31 }), { minLength: 1, maxLength: 100 }),
    issuedAt: fc.integer({ min: 0, max: 4_000_000_000 }),
  }),
  fc.record({
    action: fc.constant('unsubscribe_redirect' as const),
    contactId: fc.integer({ min: 1, max: 2 ** 31 }),
    channel: fc.constantFrom('email' as const, 'sms' as const),
    groupIds: fc.uniqueArray(fc.integer({ min: 1, max: 1000 }), { maxLength: 5 }),
    redirectUrl: fc
      .webUrl({ withQueryParameters: true })
      .filter((url) => url.length <= 1024 && !url.includes('@')),
    issuedAt: fc.integer({ min: 0, max: 4_000_000_000 }),
  }),
);

describe.each<KeyAlg>(['HS256', 'EdDSA'])('link token properties (%s)', (alg) => {
  const ring = rings[alg];

  it('verifying arbitrary text never throws and never succeeds', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.array(fc.stringMatching(/^[A-Za-z0-9_-]*$/)).map((parts) => parts.join('.')),
        ),
        (text) => {
          expect(ring.verifyLink(text).ok).toBe(false);
        },
      ),
    );
  });

  it('valid claims round-trip exactly', () => {
    fc.assert(
      fc.property(claimsArbitrary, (claims) => {
        const result = ring.verifyLink(ring.signLink(claims));
        expect(result).toEqual({ ok: true, kid: ring.signingKid, claims });
      }),
    );
  });

  it('any single-character change fails verification', () => {
    const token = ring.signLink({
      action: 'unsubscribe_groups',
      contactId: 4242,
      channel: 'email',
      groupIds: [1, 2, 3],
      messageUid: 'uid-1',
      issuedAt: 1_764_460_800,
    });
    fc.assert(
      fc.property(
        fc.nat({ max: token.length - 1 }),
        fc.constantFrom(...base64urlChars, '.', '=', '+', '/', ' ', 'é'),
        (index, char) => {
          fc.pre(token[index] !== char);
          const changed = `${token.slice(0, index)}${char}${token.slice(index + 1)}`;
          expect(ring.verifyLink(changed).ok).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('changing the last character of each segment fails even when only unused bits differ', () => {
    const token = ring.signLink({ action: 'manage', contactId: 9, channel: 'sms', groupIds: [] });
    const parts = token.split('.');
    for (const [index, part] of parts.entries()) {
      for (const char of base64urlChars) {
        if (char === part.at(-1)) continue;
        const changed = parts
          .map((text, i) => (i === index ? `${text.slice(0, -1)}${char}` : text))
          .join('.');
        expect(ring.verifyLink(changed).ok).toBe(false);
      }
    }
  });
});
