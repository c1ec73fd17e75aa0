/**
 * @module Interop with jose, an independent JWS implementation: jose verifies every token we sign,
 * and we verify tokens jose signs with our keys and claims layout, for both algorithms.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CompactSign, SignJWT, compactVerify, errors, importJWK, jwtVerify, type JWK } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { KeyRing, type KeyAlg, type LinkClaimsInput } from './index.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function ringAndJwk(alg: KeyAlg): Promise<{ ring: KeyRing; jwk: JWK }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'unsub-jose-'));
  dirs.push(dir);
  const file = path.join(dir, 'keys.json');
  const ring = KeyRing.generate({ alg, maxAgeDays: 90 });
  await ring.save(file);
  const { keys } = JSON.parse(await readFile(file, 'utf8')) as { keys: JWK[] };
  return { ring, jwk: keys[0] as JWK };
}

const claims: LinkClaimsInput = {
  action: 'unsubscribe_redirect',
  contactId: 77,
  messageUid: '0123456789_012_012_01234',
  channel: 'sms',
  groupIds: [4, 9],
  redirectUrl: 'https://example.com/thanks?from=newsletter',
  issuedAt: 1_764_460_800,
};
const payload = {
  a: 'r',
  c: 77,
  ch: 's',
  g: [4, 9],
  m: claims.messageUid,
  r: claims.redirectUrl,
  iat: 1_764_460_800,
  exp: 1_764_460_800 + 90 * 86_400,
};
const now = (1_764_460_800 + 86_400) * 1000;

describe.each<KeyAlg>(['HS256', 'EdDSA'])('jose interop (%s)', (alg) => {
  it('jose compactVerify and jwtVerify accept our tokens', async () => {
    const { ring, jwk } = await ringAndJwk(alg);
    const { d: _private, ...publicJwk } = jwk;
    const key = await importJWK(alg === 'HS256' ? jwk : publicJwk, alg);
    const token = ring.signLink(claims);
    const compact = await compactVerify(token, key, { algorithms: [alg] });
    expect(compact.protectedHeader).toEqual({ alg, kid: ring.signingKid });
    expect(JSON.parse(new TextDecoder().decode(compact.payload))).toEqual(payload);
    const jwt = await jwtVerify(token, key, { algorithms: [alg], currentDate: new Date(now) });
    expect(jwt.payload).toEqual(payload);
  });

  it('jose rejects our token with one character changed (failure told by its code)', async () => {
    const { ring, jwk } = await ringAndJwk(alg);
    const { d: _private, ...publicJwk } = jwk;
    const key = await importJWK(alg === 'HS256' ? jwk : publicJwk, alg);
    const token = ring.signLink(claims);
    const tampered = `${token.slice(0, 70)}${token[70] === 'A' ? 'B' : 'A'}${token.slice(71)}`;
    const error = await compactVerify(tampered, key).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(errors.JOSEError);
    expect((error as errors.JOSEError).code).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('our verifyLink accepts tokens jose signs with CompactSign and SignJWT', async () => {
    const { ring, jwk } = await ringAndJwk(alg);
    const key = await importJWK(jwk, alg);
    const header = { alg, kid: jwk.kid as string };
    const compact = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader(header)
      .sign(key);
    const jwt = await new SignJWT(payload).setProtectedHeader(header).sign(key);
    const typed = await new SignJWT(payload).setProtectedHeader({ ...header, typ: 'JWT' }).sign(key);
    const expected = {
      ok: true,
      kid: jwk.kid,
      claims: { ...claims, expiresAt: payload.exp },
    };
    for (const token of [compact, jwt, typed]) expect(ring.verifyLink(token, now / 1000)).toEqual(expected);
  });

  it('our verifyLink refuses a jose token with claims outside our layout', async () => {
    const { ring, jwk } = await ringAndJwk(alg);
    const key = await importJWK(jwk, alg);
    const token = await new SignJWT({ ...payload, sub: 'user@gmail.com' })
      .setProtectedHeader({ alg, kid: jwk.kid as string })
      .sign(key);
    expect(ring.verifyLink(token, now / 1000)).toEqual({ ok: false, reason: 'invalid_claims' });
  });
});
