/** @module Tests of signing and verifying with the key ring: rotation, retirement, max age, limits. */
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyRing, LinkClaimsError, LinkKeyError, type KeyAlg, type LinkClaimsInput } from './index.js';

const day = 86_400;
const t0 = Date.UTC(2026, 10, 30, 12) / 1000;
const clock =
  (seconds = t0) =>
  () =>
    seconds * 1000;
const unsubscribe: LinkClaimsInput = { action: 'unsubscribe', contactId: 42, channel: 'email', groupIds: [] };
const longest: LinkClaimsInput = {
  action: 'unsubscribe_redirect',
  contactId: 123_456_789,
  messageUid: '0123456789_012_012_01234',
  channel: 'email',
  groupIds: [100_001, 100_002, 100_003, 100_004, 100_005],
  redirectUrl: 'https://example.com/thanks?from=newsletter',
};
const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decodeSegment = (text: string) =>
  JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;

let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  dirs = [];
});

/** A ring saved to a temp file, with the file's JWKs (to forge tokens with the real secret). */
async function savedRing(alg: KeyAlg = 'HS256') {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'unsub-ring-'));
  dirs.push(dir);
  const file = path.join(dir, 'keys.json');
  const ring = KeyRing.generate({ alg, now: clock() });
  await ring.save(file);
  const { keys } = JSON.parse(await readFile(file, 'utf8')) as { keys: Record<string, string>[] };
  return { ring, file, jwk: keys[0] as Record<string, string> };
}

describe.each<KeyAlg>(['HS256', 'EdDSA'])('KeyRing %s', (alg) => {
  it('signs a compact JWS with exactly {alg, kid} as header and verifies it to the same claims', () => {
    const ring = KeyRing.generate({ alg, now: clock() });
    const token = ring.signLink(longest);
    const [header, payload] = token.split('.');
    expect(decodeSegment(header as string)).toEqual({ alg, kid: ring.signingKid });
    expect(ring.signingKid).toMatch(/^k_2026-11-30_[0-9a-f]{6}$/);
    expect(decodeSegment(payload as string)).toEqual({
      a: 'r',
      c: longest.contactId,
      ch: 'e',
      g: longest.groupIds,
      m: longest.messageUid,
      r: longest.redirectUrl,
      iat: t0,
    });
    expect(ring.verifyLink(token)).toEqual({
      ok: true,
      kid: ring.signingKid,
      claims: { ...longest, issuedAt: t0 },
    });
  });

  it.each([undefined, 365])(
    'keeps a link with five groups, a long uid and a redirect URL within 400 characters (max age %s)',
    (maxAgeDays) => {
      // HS256: 330 characters (353 with exp); EdDSA: 373 (396 with exp), its signature being 86 characters.
      const token = KeyRing.generate({ alg, maxAgeDays, now: clock() }).signLink(longest);
      expect(token.length).toBeLessThanOrEqual(400);
    },
  );

  it('refuses a token whose header names another algorithm for the same kid', () => {
    const ring = KeyRing.generate({ alg, now: clock() });
    const [, payload, signature] = ring.signLink(unsubscribe).split('.');
    const other = alg === 'HS256' ? 'EdDSA' : 'HS256';
    const forged = `${segment({ alg: other, kid: ring.signingKid })}.${payload}.${signature}`;
    expect(ring.verifyLink(forged)).toEqual({ ok: false, reason: 'bad_signature' });
    const none = `${segment({ alg: 'none', kid: ring.signingKid })}.${payload}.`;
    expect(ring.verifyLink(none).ok).toBe(false);
  });
});

describe('KeyRing verification outcomes', () => {
  it('says unknown_key for a token of another ring, bad_signature for a changed payload', () => {
    const ring = KeyRing.generate({ now: clock() });
    const other = KeyRing.generate({ now: clock() });
    expect(ring.verifyLink(other.signLink(unsubscribe))).toEqual({ ok: false, reason: 'unknown_key' });
    const [header, , signature] = ring.signLink(unsubscribe).split('.');
    const changed = `${header}.${segment({ a: 'u', c: 43, ch: 'e', iat: t0 })}.${signature}`;
    expect(ring.verifyLink(changed)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it.each([
    ['an empty string', ''],
    ['no dots', 'abc'],
    ['two parts', 'a.b'],
    ['four parts', 'a.b.c.d'],
    ['empty parts', '..'],
    ['5000 characters', 'x'.repeat(5000)],
    ['an empty signature', 'eyJ9.eyJ9.'],
    ['an empty header', '.eyJ9.abc'],
  ])('says malformed for %s', (_name, text) => {
    expect(KeyRing.generate().verifyLink(text)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('says malformed for headers with members we do not implement', () => {
    const ring = KeyRing.generate();
    const [, payload, signature] = ring.signLink(unsubscribe).split('.');
    for (const header of [
      { alg: 'HS256', kid: ring.signingKid, crit: ['b64'], b64: false },
      { alg: 'HS256' },
      [1],
    ]) {
      expect(ring.verifyLink(`${segment(header)}.${payload}.${signature}`)).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
  });

  it('says invalid_claims for a genuinely signed payload that breaks the rules', async () => {
    const { ring, jwk } = await savedRing();
    const secret = Buffer.from(jwk.k as string, 'base64url');
    const forge = (payload: string) => {
      const input = `${segment({ alg: 'HS256', kid: jwk.kid })}.${Buffer.from(payload).toString('base64url')}`;
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    };
    expect(ring.verifyLink(forge('{"a":"u","c":42,"ch":"e","iat":1}')).ok).toBe(true);
    for (const payload of [
      '{"a":"u","c":0,"ch":"e","iat":1}',
      '{"a":"g","c":1,"ch":"e","iat":1}',
      '{"a":"u","c":1,"ch":"e","iat":1,"email":"user@gmail.com"}',
      '{"a":"r","c":1,"ch":"e","r":"javascript:alert(1)","iat":1}',
      'not json',
    ]) {
      expect(ring.verifyLink(forge(payload))).toEqual({ ok: false, reason: 'invalid_claims' });
    }
  });

  it('refuses to sign claims that break the rules, naming the field', () => {
    const ring = KeyRing.generate();
    expect(() => ring.signLink({ ...unsubscribe, contactId: 0 })).toThrow(LinkClaimsError);
    expect(() => ring.signLink({ ...unsubscribe, action: 'unsubscribe_groups' })).toThrow(/groupIds/);
  });

  it('never puts the e-mail address in the token, even when a caller passes extra fields', () => {
    const ring = KeyRing.generate();
    const token = ring.signLink({ ...unsubscribe, email: 'user@gmail.com' } as LinkClaimsInput);
    expect(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).not.toContain('gmail');
  });
});

describe('KeyRing rotation and retirement', () => {
  it('rotate: the new key signs, old links still verify, the old key is verify-only', () => {
    let now = t0 * 1000;
    const ring = KeyRing.generate({ now: () => now });
    const oldKid = ring.signingKid;
    const oldToken = ring.signLink(unsubscribe);
    now += 1000;
    const added = ring.rotate({ alg: 'EdDSA' });
    expect(added).toMatchObject({ alg: 'EdDSA', status: 'active', signing: true });
    expect(ring.signingKid).toBe(added.kid);
    expect(ring.list().map((key) => [key.kid, key.status, key.signing])).toEqual([
      [oldKid, 'verify', false],
      [added.kid, 'active', true],
    ]);
    expect(ring.verifyLink(oldToken)).toMatchObject({ ok: true, kid: oldKid });
    expect(ring.verifyLink(ring.signLink(unsubscribe))).toMatchObject({ ok: true, kid: added.kid });
  });

  it('retire: genuine links of the key say retired_key, forged ones bad_signature', () => {
    const ring = KeyRing.generate({ now: clock() });
    const oldKid = ring.signingKid;
    const [header, payload, signature] = ring.signLink(unsubscribe).split('.');
    ring.rotate();
    ring.retire(oldKid);
    expect(ring.list()[0]).toMatchObject({ kid: oldKid, status: 'retired' });
    expect(ring.verifyLink(`${header}.${payload}.${signature}`)).toEqual({
      ok: false,
      reason: 'retired_key',
    });
    const wrong = `${signature?.slice(0, -2)}${signature?.endsWith('AA') ? 'AQ' : 'AA'}`;
    expect(ring.verifyLink(`${header}.${payload}.${wrong}`)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses to retire the signing key or an unknown kid', () => {
    const ring = KeyRing.generate();
    expect(() => ring.retire(ring.signingKid)).toThrow(
      expect.objectContaining({ code: 'retire_signing_key' }),
    );
    expect(() => ring.retire('k_nope')).toThrow(expect.objectContaining({ code: 'unknown_kid' }));
  });
});

describe('KeyRing max age', () => {
  it('never expires links by default', () => {
    const ring = KeyRing.generate({ now: clock() });
    const token = ring.signLink(unsubscribe);
    expect(ring.verifyLink(token, t0 + 100 * 365 * day).ok).toBe(true);
  });

  it.each([59, 0, -1, 60.5, Number.NaN])(
    'refuses maxAgeDays %s as configuration naming UNSUB_LINK_MAX_AGE_DAYS',
    (days) => {
      expect(() => KeyRing.generate({ maxAgeDays: days })).toThrow(LinkKeyError);
      expect(() => KeyRing.generate({ maxAgeDays: days })).toThrow(
        expect.objectContaining({
          code: 'max_age_too_short',
          message: expect.stringContaining('UNSUB_LINK_MAX_AGE_DAYS'),
        }),
      );
    },
  );

  it('sets exp from the max age and says expired from then on', () => {
    const ring = KeyRing.generate({ maxAgeDays: 60, now: clock() });
    const token = ring.signLink(unsubscribe);
    const result = ring.verifyLink(token, t0 + 60 * day - 1);
    expect(result).toMatchObject({ ok: true, claims: { issuedAt: t0, expiresAt: t0 + 60 * day } });
    expect(ring.verifyLink(token, t0 + 60 * day)).toEqual({ ok: false, reason: 'expired' });
  });

  it('applies a max age configured later to links signed without exp', async () => {
    const { ring, file } = await savedRing();
    const token = ring.signLink({ ...unsubscribe, issuedAt: t0 });
    const strict = await KeyRing.load(file, { maxAgeDays: 90, now: clock(t0 + 91 * day) });
    expect(strict.verifyLink(token)).toEqual({ ok: false, reason: 'expired' });
    expect(strict.verifyLink(token, t0 + 89 * day).ok).toBe(true);
  });
});

describe('KeyRing thread data', () => {
  it.each(['HS256', 'EdDSA'] as KeyAlg[])(
    'a %s ring rebuilt from its thread data signs the same tokens and keeps the max age',
    (alg) => {
      const ring = KeyRing.generate({ alg, maxAgeDays: 90, now: clock() });
      ring.rotate({ alg });
      const copy = KeyRing.fromThreadData(structuredClone(ring.toThreadData()), { now: clock() });
      expect(copy.list()).toEqual(ring.list());
      const token = copy.signLink({ ...unsubscribe, issuedAt: t0 });
      if (alg === 'HS256') expect(token).toBe(ring.signLink({ ...unsubscribe, issuedAt: t0 }));
      expect(ring.verifyLink(token, t0)).toMatchObject({ ok: true, claims: { expiresAt: t0 + 90 * day } });
      expect(copy.signCompactLink({ ...unsubscribe, issuedAt: t0 })).toBe(
        ring.signCompactLink({ ...unsubscribe, issuedAt: t0 }),
      );
    },
  );
});
