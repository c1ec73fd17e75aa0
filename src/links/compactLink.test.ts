/**
 * @module Tests of compact links (`/s/CODE`): round trip, tamper resistance (every one-character
 * change), the 40-character path, key rotation and retirement, and the wall between compact codes
 * and JWS tokens (ours and jose's).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { compactVerify, importJWK, jwtVerify, type JWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { compactKeyIndex } from './keyMaterial.js';
import {
  KeyRing,
  LinkClaimsError,
  compactLinkUrl,
  tokenFromLink,
  type KeyAlg,
  type LinkClaims,
  type LinkClaimsInput,
} from './index.js';

const day = 86_400;
const epoch = 1_577_836_800; // 2020-01-01
const t0 = Date.UTC(2026, 10, 30, 12) / 1000;
const clock = () => t0 * 1000;
const base64urlAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  dirs = [];
});

async function tempFile(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'unsub-compact-'));
  dirs.push(dir);
  return path.join(dir, 'keys.json');
}

/** Claims a compact link can carry: no redirect, at most three groups, issued from 2020 on. */
const compactClaims = (limits: { contactMax: number; groupMax: number }) =>
  fc
    .record({
      action: fc.constantFrom('unsubscribe' as const, 'manage' as const, 'unsubscribe_groups' as const),
      contactId: fc.integer({ min: 1, max: limits.contactMax }),
      channel: fc.constantFrom('email' as const, 'sms' as const),
      groups: fc.uniqueArray(fc.integer({ min: 1, max: limits.groupMax }), { minLength: 1, maxLength: 3 }),
      issuedAt: fc.integer({ min: epoch, max: Date.UTC(2060, 0, 1) / 1000 }),
    })
    .map(({ groups, ...claims }): LinkClaimsInput & { issuedAt: number } => ({
      ...claims,
      groupIds: claims.action === 'unsubscribe_groups' ? groups : [],
    }));

/** What verifying gives back: groups sorted, issued-at at the start of its day, no message uid. */
function expected(claims: LinkClaimsInput & { issuedAt: number }): LinkClaims {
  return {
    action: claims.action,
    contactId: claims.contactId,
    channel: claims.channel,
    groupIds: [...claims.groupIds].sort((a, b) => a - b),
    issuedAt: epoch + Math.floor((claims.issuedAt - epoch) / day) * day,
  };
}

describe.each<KeyAlg>(['HS256', 'EdDSA'])('compact links (%s)', (alg) => {
  const ring = KeyRing.generate({ alg, now: clock });

  it('round trip: every compact code verifies to its claims (property)', () => {
    fc.assert(
      fc.property(compactClaims({ contactMax: Number.MAX_SAFE_INTEGER, groupMax: 2 ** 40 }), (claims) => {
        const code = ring.signCompactLink(claims);
        expect(code).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(ring.verifyCompactLink(code, t0)).toEqual({
          ok: true,
          claims: expected(claims),
          kid: ring.signingKid,
        });
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the path /s/CODE within 40 characters for up to three groups (property)', () => {
    fc.assert(
      fc.property(compactClaims({ contactMax: 2 ** 35 - 1, groupMax: 2 ** 21 - 1 }), (claims) => {
        const url = compactLinkUrl('https://u.example.com', ring.signCompactLink(claims));
        expect(new URL(url).pathname.length).toBeLessThanOrEqual(40);
      }),
      { numRuns: 300 },
    );
    const typical = ring.signCompactLink({
      action: 'unsubscribe',
      contactId: 1_234_567,
      channel: 'sms',
      groupIds: [],
    });
    expect(`/s/${typical}`.length).toBeLessThanOrEqual(24);
  });

  it('refuses every one-character change, deletion, insertion and truncation', () => {
    const codes = [
      ring.signCompactLink({ action: 'unsubscribe', contactId: 7, channel: 'sms', groupIds: [] }),
      ring.signCompactLink({
        action: 'unsubscribe_groups',
        contactId: 34_359_738_367,
        channel: 'sms',
        groupIds: [2_097_151, 3, 70_000],
      }),
    ];
    for (const code of codes) {
      expect(ring.verifyCompactLink(code, t0).ok).toBe(true);
      const variants = new Set<string>();
      for (let i = 0; i < code.length; i++) {
        for (const c of `${base64urlAlphabet}.=+/ %`) variants.add(code.slice(0, i) + c + code.slice(i + 1));
        for (const c of 'Aa0_') variants.add(code.slice(0, i) + c + code.slice(i));
        variants.add(code.slice(0, i) + code.slice(i + 1));
        variants.add(code.slice(0, i));
      }
      variants.delete(code);
      for (const variant of variants) expect(ring.verifyCompactLink(variant, t0).ok, variant).toBe(false);
    }
  });

  it('never accepts a JWS, and verifyLink never accepts a compact code', () => {
    const claims: LinkClaimsInput = { action: 'manage', contactId: 5, channel: 'sms', groupIds: [] };
    const jws = ring.signLink(claims);
    const code = ring.signCompactLink(claims);
    expect(ring.verifyCompactLink(jws, t0)).toEqual({ ok: false, reason: 'malformed' });
    expect(ring.verifyLink(code, t0)).toEqual({ ok: false, reason: 'malformed' });
    for (const part of jws.split('.')) expect(ring.verifyCompactLink(part, t0).ok).toBe(false);
  });

  it('refuses a redirect, more than three groups, and issue dates before 2020', () => {
    expect(() =>
      ring.signCompactLink({
        action: 'unsubscribe_redirect',
        contactId: 1,
        channel: 'sms',
        groupIds: [1],
        redirectUrl: 'https://example.com/',
      }),
    ).toThrow(LinkClaimsError);
    expect(() =>
      ring.signCompactLink({
        action: 'unsubscribe_groups',
        contactId: 1,
        channel: 'sms',
        groupIds: [1, 2, 3, 4],
      }),
    ).toThrow(/at most 3 groups/);
    expect(() =>
      ring.signCompactLink({
        action: 'unsubscribe',
        contactId: 1,
        channel: 'sms',
        groupIds: [],
        issuedAt: epoch - 1,
      }),
    ).toThrow(/2020/);
  });

  it('jose never accepts a compact code, whatever the key', async () => {
    const file = await tempFile();
    await ring.save(file);
    const { keys } = JSON.parse(await readFile(file, 'utf8')) as { keys: JWK[] };
    const jwk = keys[0] as JWK;
    const { d: _private, ...publicJwk } = jwk;
    const key = await importJWK(alg === 'HS256' ? jwk : publicJwk, alg);
    const code = ring.signCompactLink({ action: 'unsubscribe', contactId: 9, channel: 'sms', groupIds: [] });
    await expect(compactVerify(code, key)).rejects.toMatchObject({ code: 'ERR_JWS_INVALID' });
    await expect(jwtVerify(code, key)).rejects.toMatchObject({ code: 'ERR_JWS_INVALID' });
  });
});

describe('compact links and the key ring', () => {
  const claims: LinkClaimsInput = { action: 'unsubscribe', contactId: 42, channel: 'sms', groupIds: [] };

  it('keeps verifying after rotation; retiring the key revokes its compact links', async () => {
    const file = await tempFile();
    const ring = KeyRing.generate({ now: clock });
    const oldKid = ring.signingKid;
    const old = ring.signCompactLink(claims);
    ring.rotate();
    const fresh = ring.signCompactLink(claims);
    expect(fresh).not.toBe(old);
    expect(ring.verifyCompactLink(old, t0)).toMatchObject({ ok: true, kid: oldKid });
    ring.retire(oldKid);
    await ring.save(file);
    const loaded = await KeyRing.load(file, { now: clock });
    expect(loaded.verifyCompactLink(old, t0)).toEqual({ ok: false, reason: 'retired_key' });
    expect(loaded.verifyCompactLink(fresh, t0)).toMatchObject({ ok: true, kid: loaded.signingKid });
  });

  it('refuses a code of a foreign key ring', () => {
    const foreign = KeyRing.generate({ now: clock }).signCompactLink(claims);
    const result = KeyRing.generate({ now: clock }).verifyCompactLink(foreign, t0);
    expect(result.ok).toBe(false);
    expect(['unknown_key', 'bad_signature']).toContain(!result.ok && result.reason);
  });

  it('derives the key index from the kid, and new keys of a ring never share one', () => {
    const ring = KeyRing.generate({ now: clock });
    for (let i = 0; i < 20; i++) ring.rotate();
    const indexes = ring.list().map((key) => compactKeyIndex(key.kid));
    expect(new Set(indexes).size).toBe(21);
    expect(compactKeyIndex('k_2026-11-30_abcdef')).toBe(compactKeyIndex('k_2026-11-30_abcdef'));
  });

  it('tries every key of a shared index (keys brought in from elsewhere)', async () => {
    // Two kids with the same index, found by search (256 buckets: a few dozen tries).
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const kid = `imported-${i}`;
      const other = seen.get(compactKeyIndex(kid));
      if (other) pair = [other, kid];
      else seen.set(compactKeyIndex(kid), kid);
    }
    const jwk = (kid: string, status: string, created: string) => ({
      kty: 'oct',
      k: Buffer.alloc(32, kid).toString('base64url'),
      kid,
      alg: 'HS256',
      use: 'sig',
      unsub_status: status,
      unsub_created: created,
    });
    const file = await tempFile();
    await writeFile(
      file,
      JSON.stringify({
        keys: [
          jwk(pair[0], 'active', '2026-01-01T00:00:00.000Z'),
          jwk(pair[1], 'verify', '2025-01-01T00:00:00.000Z'),
        ],
      }),
    );
    const ring = await KeyRing.load(file, { now: clock });
    const first = ring.signCompactLink(claims);
    expect(ring.verifyCompactLink(first, t0)).toMatchObject({ ok: true, kid: pair[0] });
    // Make the other key sign: rotate away and retire nothing; sign with a ring where it is active.
    await writeFile(
      file,
      JSON.stringify({
        keys: [
          jwk(pair[0], 'verify', '2026-01-01T00:00:00.000Z'),
          jwk(pair[1], 'active', '2025-01-01T00:00:00.000Z'),
        ],
      }),
    );
    const second = (await KeyRing.load(file, { now: clock })).signCompactLink(claims);
    expect(ring.verifyCompactLink(second, t0)).toMatchObject({ ok: true, kid: pair[1] });
  });

  it('applies a max age from the issued-at day', () => {
    const ring = KeyRing.generate({ now: clock, maxAgeDays: 60 });
    const code = ring.signCompactLink(claims);
    const dayStart = epoch + Math.floor((t0 - epoch) / day) * day;
    expect(ring.verifyCompactLink(code, dayStart + 60 * day - 1).ok).toBe(true);
    expect(ring.verifyCompactLink(code, dayStart + 60 * day)).toEqual({ ok: false, reason: 'expired' });
  });

  it('finds the code in a pasted /s/ link', () => {
    expect(tokenFromLink('https://u.example.com/s/AbC_-9')).toEqual({ token: 'AbC_-9', page: 's' });
  });
});
