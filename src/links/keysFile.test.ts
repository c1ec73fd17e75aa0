/** @module Tests of the JWK Set key file: creation, strict parsing, atomic 0600 writes. */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyRing, LinkKeyError } from './index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'unsub-keys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const unsubscribe = { action: 'unsubscribe', contactId: 1, channel: 'email', groupIds: [] } as const;

async function loadError(text: string): Promise<LinkKeyError> {
  const file = path.join(dir, 'keys.json');
  await writeFile(file, text);
  const error = await KeyRing.load(file).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(LinkKeyError);
  expect(error).toMatchObject({ code: 'keys_file_invalid' });
  expect((error as Error).message).toContain(file);
  return error as LinkKeyError;
}

describe('KeyRing.load', () => {
  it('creates a missing file with one HS256 key (folder made, mode 0600) when asked, and calls onCreate', async () => {
    const file = path.join(dir, 'nested', 'data', 'keys.json');
    const onCreate = vi.fn();
    const ring = await KeyRing.load(file, { create: true, onCreate });
    expect(onCreate).toHaveBeenCalledWith(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const { keys } = JSON.parse(await readFile(file, 'utf8')) as { keys: Record<string, unknown>[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      kty: 'oct',
      kid: ring.signingKid,
      alg: 'HS256',
      use: 'sig',
      unsub_status: 'active',
    });
    expect(Buffer.from(keys[0]?.k as string, 'base64url').length).toBeGreaterThanOrEqual(32);
    expect(await readdir(path.dirname(file))).toEqual(['keys.json']); // no temp file left behind

    const again = await KeyRing.load(file, { create: true, onCreate });
    expect(onCreate).toHaveBeenCalledTimes(1);
    expect(again.verifyLink(ring.signLink(unsubscribe)).ok).toBe(true);
  });

  it('lets two processes create the file at once: both end up with the same key', async () => {
    const file = path.join(dir, 'keys.json');
    const rings = await Promise.all([1, 2, 3].map(() => KeyRing.load(file, { create: true })));
    expect(new Set(rings.map((ring) => ring.signingKid)).size).toBe(1);
  });

  it('refuses a missing file without create, suggesting `unsub keys generate`', async () => {
    await expect(KeyRing.load(path.join(dir, 'none.json'))).rejects.toMatchObject({
      code: 'keys_file_missing',
      message: expect.stringContaining('unsub keys generate'),
    });
  });

  it('refuses a max age under 60 days before touching the file', async () => {
    const file = path.join(dir, 'keys.json');
    await expect(KeyRing.load(file, { create: true, maxAgeDays: 30 })).rejects.toMatchObject({
      code: 'max_age_too_short',
    });
    await expect(stat(file)).rejects.toThrow();
  });

  it('saves rotation and retirement, and reloads EdDSA keys that verify old links', async () => {
    const file = path.join(dir, 'keys.json');
    const ring = await KeyRing.load(file, { create: true });
    const first = ring.signingKid;
    const oldToken = ring.signLink(unsubscribe);
    ring.rotate({ alg: 'EdDSA' });
    const edToken = ring.signLink(unsubscribe);
    ring.retire(first);
    await ring.save();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const reloaded = await KeyRing.load(file);
    expect(reloaded.list()).toEqual(ring.list());
    expect(reloaded.verifyLink(oldToken)).toEqual({ ok: false, reason: 'retired_key' });
    expect(reloaded.verifyLink(edToken).ok).toBe(true);
  });

  it.each([
    ['not JSON', '{"keys": [', /not valid JSON/],
    ['not a JWK Set', '[]', /JWK Set/],
    ['a key that is not an object', '{"keys": [1]}', /keys\[0\] must be a JSON object/],
    ['a bad kid', '{"keys": [{"kid": "a b"}]}', /keys\[0\]\.kid/],
    ['an unknown member', '{"keys": [{"kid": "k1", "email": "x"}]}', /unknown member "email"/],
  ])('refuses %s, naming the file and the problem', async (_name, text, message) => {
    expect((await loadError(text)).message).toMatch(message);
  });

  it('refuses keys with wrong material, duplicates or no active key', async () => {
    const good = JSON.parse(await readFile(await savedFile(), 'utf8')) as { keys: Record<string, unknown>[] };
    const key = good.keys[0] as Record<string, unknown>;
    const variants: [Record<string, unknown>[], RegExp][] = [
      [[{ ...key, k: Buffer.alloc(16).toString('base64url') }], /at least 32 random bytes/],
      [[{ ...key, k: `${key.k as string}=` }], /k must be base64url/],
      [[{ ...key, alg: 'RS256' }], /alg must be/],
      [[{ ...key, kty: 'OKP' }], /kty must be "oct"/],
      [[{ ...key, unsub_status: 'dead' }], /unsub_status/],
      [[{ ...key, unsub_created: 'yesterday' }], /unsub_created/],
      [[{ ...key, use: 'enc' }], /use must be "sig"/],
      [[key, key], /appears twice/],
      [[{ ...key, unsub_status: 'verify' }], /no key with unsub_status "active"/],
    ];
    for (const [keys, message] of variants)
      expect((await loadError(JSON.stringify({ keys }))).message).toMatch(message);
  });

  it('refuses an EdDSA key whose x is not the public key of d', async () => {
    const ring = KeyRing.generate({ alg: 'EdDSA' });
    ring.rotate({ alg: 'EdDSA' });
    const file = path.join(dir, 'ed.json');
    await ring.save(file);
    const { keys } = JSON.parse(await readFile(file, 'utf8')) as { keys: Record<string, unknown>[] };
    const swapped = [{ ...keys[0], x: keys[1]?.x }];
    expect((await loadError(JSON.stringify({ keys: swapped }))).message).toMatch(
      /x is not the public key of d/,
    );
  });
});

async function savedFile(): Promise<string> {
  const file = path.join(dir, 'good.json');
  await KeyRing.generate().save(file);
  return file;
}
