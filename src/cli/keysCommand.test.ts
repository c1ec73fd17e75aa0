/** @module Tests of `unsub keys generate | list | rotate | retire`, run in process against a temp key file. */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyRing } from '../links/index.js';
import { main } from './index.js';

let dir: string;
let file: string;
let savedEnv: string | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'unsub-cli-keys-'));
  file = path.join(dir, 'data', 'keys.json');
  savedEnv = process.env.UNSUB_KEYS_FILE;
  process.env.UNSUB_KEYS_FILE = file;
});
afterEach(async () => {
  if (savedEnv === undefined) delete process.env.UNSUB_KEYS_FILE;
  else process.env.UNSUB_KEYS_FILE = savedEnv;
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI in process and captures its output and exit code. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
  process.exitCode = undefined;
  try {
    await main(['node', 'unsub', ...args]);
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, out: out.join(''), err: err.join('') };
}

describe('unsub keys', () => {
  it('generate creates the file (0600) with one key and refuses a second time, suggesting rotate', async () => {
    const first = await run('keys', 'generate');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(
      /^Created .*keys\.json with signing key k_\d{4}-\d{2}-\d{2}_[0-9a-f]{6} \(HS256\)/,
    );
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const before = await readFile(file, 'utf8');

    const second = await run('keys', 'generate', '--alg', 'EdDSA');
    expect(second.code).toBe(1);
    expect(second.err).toMatch(/already exists; run `unsub keys rotate`/);
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('generate --alg EdDSA makes an Ed25519 key; an unknown alg is a usage error', async () => {
    expect((await run('keys', 'generate', '--alg', 'EdDSA')).code).toBe(0);
    expect((await KeyRing.load(file)).list()).toMatchObject([{ alg: 'EdDSA', status: 'active' }]);
    const bad = await run('keys', 'rotate', '--alg', 'RS256');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/RS256/);
  });

  it('list shows kid, alg, status and created, never the secret', async () => {
    await run('keys', 'generate');
    const secret = (JSON.parse(await readFile(file, 'utf8')) as { keys: { k: string }[] }).keys[0]
      ?.k as string;
    const table = await run('keys', 'list');
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^KID\s+ALG\s+STATUS\s+CREATED\n/);
    expect(table.out).toMatch(/k_\S+\s+HS256\s+active\s+\d{4}-\d{2}-\d{2}T\S+Z\s+signs new links/);
    expect(table.out).not.toContain(secret);
    const json = await run('keys', 'list', '--json');
    expect(JSON.parse(json.out)).toMatchObject([{ alg: 'HS256', status: 'active', signing: true }]);
    expect(json.out).not.toContain(secret);
  });

  it('list, rotate and retire explain a missing file', async () => {
    for (const args of [['list'], ['rotate'], ['retire', 'k_x']]) {
      const result = await run('keys', ...args);
      expect(result.code).toBe(1);
      expect(result.err).toMatch(/does not exist; create it with `unsub keys generate`/);
    }
  });

  it('rotate adds a signing key and keeps the old one verifying; retire revokes the old one', async () => {
    await run('keys', 'generate');
    const oldRing = await KeyRing.load(file);
    const oldKid = oldRing.signingKid;
    const oldToken = oldRing.signLink({ action: 'manage', contactId: 5, channel: 'email', groupIds: [] });

    const rotated = await run('keys', 'rotate', '--alg', 'EdDSA');
    expect(rotated.code).toBe(0);
    expect(rotated.out).toContain(`${oldKid} now only verifies`);
    const afterRotate = await KeyRing.load(file);
    expect(afterRotate.list().map((key) => [key.alg, key.status])).toEqual([
      ['HS256', 'verify'],
      ['EdDSA', 'active'],
    ]);
    expect(afterRotate.verifyLink(oldToken).ok).toBe(true);

    const refused = await run('keys', 'retire', afterRotate.signingKid);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/signs new links; run `unsub keys rotate` first/);

    const retired = await run('keys', 'retire', oldKid);
    expect(retired.code).toBe(0);
    expect(retired.out).toContain(`Retired ${oldKid}`);
    expect((await KeyRing.load(file)).verifyLink(oldToken)).toEqual({ ok: false, reason: 'retired_key' });
    expect((await run('keys', 'retire', oldKid)).out).toContain('already retired');

    const unknown = await run('keys', 'retire', 'k_nope');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/no key with kid k_nope/);
  });
});
