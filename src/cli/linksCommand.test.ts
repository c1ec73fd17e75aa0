/** @module Tests of `unsub links decode`, run in process against a temp key file. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyRing, linkUrl, type LinkClaimsInput } from '../links/index.js';
import { main } from './index.js';

let dir: string;
let file: string;
let ring: KeyRing;
let savedEnv: string | undefined;

const claims: LinkClaimsInput = {
  action: 'unsubscribe_groups',
  contactId: 31,
  channel: 'email',
  groupIds: [4, 1],
  messageUid: '0123456789_012_012_01234',
  issuedAt: 1_764_460_800,
};

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'unsub-cli-links-'));
  file = path.join(dir, 'keys.json');
  ring = await KeyRing.load(file, { create: true });
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

describe('unsub links decode', () => {
  it('prints {kid, alg, claims} for a bare token and for a full /u/ URL', async () => {
    const token = ring.signLink(claims);
    const expected = { kid: ring.signingKid, alg: 'HS256', claims };
    for (const input of [token, linkUrl('https://unsub.example.com', claims, token)]) {
      const result = await run('links', 'decode', input);
      expect(result).toMatchObject({ code: 0, err: '' });
      expect(JSON.parse(result.out)).toEqual(expected);
    }
  });

  it('accepts a manage link under /m/ but not under /u/', async () => {
    const manage = { ...claims, action: 'manage' as const, groupIds: [] };
    const token = ring.signLink(manage);
    expect((await run('links', 'decode', `http://localhost:8080/m/${token}`)).code).toBe(0);
    const wrong = await run('links', 'decode', `http://localhost:8080/u/${token}`);
    expect(wrong).toMatchObject({ code: 1, out: '' });
    expect(wrong.err).toMatch(/wrong page/);
  });

  it('exits 1 with a one-line reason for malformed, tampered, unknown-key, retired and expired links', async () => {
    const token = ring.signLink(claims);
    const tampered = `${token.slice(0, -3)}${token.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    const foreign = KeyRing.generate().signLink(claims);
    const cases: [string, RegExp][] = [
      ['not-a-token', /malformed/],
      ['https://unsub.example.com/elsewhere', /malformed/],
      [tampered, /tampered/],
      [foreign, /unknown key/],
    ];
    for (const [input, reason] of cases) {
      const result = await run('links', 'decode', input);
      expect(result.code).toBe(1);
      expect(result.out).toBe('');
      expect(result.err).toMatch(reason);
      expect(result.err.trim().split('\n')).toHaveLength(1);
    }

    const aging = await KeyRing.load(file, { maxAgeDays: 60 });
    const old = aging.signLink({ ...claims, issuedAt: 1000 });
    expect((await run('links', 'decode', old)).err).toMatch(/expired/);

    ring.rotate();
    ring.retire(aging.signingKid);
    await ring.save();
    expect((await run('links', 'decode', token)).err).toMatch(/retired key/);
  });

  it('explains a missing keys file', async () => {
    process.env.UNSUB_KEYS_FILE = path.join(dir, 'missing.json');
    const result = await run('links', 'decode', 'a.b.c');
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/does not exist/);
  });
});
