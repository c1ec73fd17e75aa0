/** @module Tests of `unsub keys generate | list | rotate | retire`, run in process against a temp key file. */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/runCli.js';
import { KeyRing } from '../links/index.js';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'unsub-cli-keys-'));
  file = path.join(dir, 'data', 'keys.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `unsub ARGS…` with the temp key file. */
const run = (...args: string[]) => runCli(args, { env: { UNSUB_KEYS_FILE: file } });

describe('unsub keys', () => {
  it('generate creates the file (0600) with one key and refuses a second time, suggesting rotate', async () => {
    const first = await run('keys', 'generate');
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toMatch(
      /^Created .*keys\.json with signing key k_\d{4}-\d{2}-\d{2}_[0-9a-f]{6} \(HS256\)/,
    );
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const before = await readFile(file, 'utf8');

    const second = await run('keys', 'generate', '--alg', 'EdDSA');
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toMatch(/already exists; run `unsub keys rotate`/);
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('generate --alg EdDSA makes an Ed25519 key; an unknown alg is a usage error', async () => {
    expect((await run('keys', 'generate', '--alg', 'EdDSA')).exitCode).toBe(0);
    expect((await KeyRing.load(file)).list()).toMatchObject([{ alg: 'EdDSA', status: 'active' }]);
    const bad = await run('keys', 'rotate', '--alg', 'RS256');
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/RS256/);
  });

  it('list shows kid, alg, status and created, never the secret', async () => {
    await run('keys', 'generate');
    const secret = (JSON.parse(await readFile(file, 'utf8')) as { keys: { k: string }[] }).keys[0]
      ?.k as string;
    const table = await run('keys', 'list');
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/^KID\s+ALG\s+STATUS\s+CREATED\n/);
    expect(table.stdout).toMatch(/k_\S+\s+HS256\s+active\s+\d{4}-\d{2}-\d{2}T\S+Z\s+signs new links/);
    expect(table.stdout).not.toContain(secret);
    const json = await run('keys', 'list', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject([{ alg: 'HS256', status: 'active', signing: true }]);
    expect(json.stdout).not.toContain(secret);
  });

  it('list, rotate and retire explain a missing file', async () => {
    for (const args of [['list'], ['rotate'], ['retire', 'k_x']]) {
      const result = await run('keys', ...args);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/does not exist; create it with `unsub keys generate`/);
    }
  });

  it('rotate adds a signing key and keeps the old one verifying; retire revokes the old one', async () => {
    await run('keys', 'generate');
    const oldRing = await KeyRing.load(file);
    const oldKid = oldRing.signingKid;
    const oldToken = oldRing.signLink({ action: 'manage', contactId: 5, channel: 'email', groupIds: [] });

    const rotated = await run('keys', 'rotate', '--alg', 'EdDSA');
    expect(rotated.exitCode).toBe(0);
    expect(rotated.stdout).toContain(`${oldKid} now only verifies`);
    const afterRotate = await KeyRing.load(file);
    expect(afterRotate.list().map((key) => [key.alg, key.status])).toEqual([
      ['HS256', 'verify'],
      ['EdDSA', 'active'],
    ]);
    expect(afterRotate.verifyLink(oldToken).ok).toBe(true);

    const refused = await run('keys', 'retire', afterRotate.signingKid);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/signs new links; run `unsub keys rotate` first/);

    const retired = await run('keys', 'retire', oldKid);
    expect(retired.exitCode).toBe(0);
    expect(retired.stdout).toContain(`Retired ${oldKid}`);
    expect((await KeyRing.load(file)).verifyLink(oldToken)).toEqual({ ok: false, reason: 'retired_key' });
    expect((await run('keys', 'retire', oldKid)).stdout).toContain('already retired');

    const unknown = await run('keys', 'retire', 'k_nope');
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toMatch(/no key with kid k_nope/);
  });
});
