/** @module Tests of `unsub links decode`, run in process against a temp key file. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/runCli.js';
import { KeyRing, compactLinkUrl, linkUrl, type LinkClaimsInput } from '../links/index.js';

let dir: string;
let file: string;
let ring: KeyRing;

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
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `unsub ARGS…` with the temp key file. */
const run = (...args: string[]) => runCli(args, { env: { UNSUB_KEYS_FILE: file } });

describe('unsub links decode', () => {
  it('prints {kid, alg, claims} for a bare token and for a full /u/ URL', async () => {
    const token = ring.signLink(claims);
    const expected = { kid: ring.signingKid, alg: 'HS256', form: 'jws', claims };
    for (const input of [token, linkUrl('https://unsub.example.com', claims, token)]) {
      const result = await run('links', 'decode', input);
      expect(result).toMatchObject({ exitCode: 0, stderr: '' });
      expect(JSON.parse(result.stdout)).toEqual(expected);
    }
  });

  it('prints the claims of a compact code, bare or under /s/, and refuses it under /u/', async () => {
    const code = ring.signCompactLink({ ...claims, channel: 'sms' });
    const expected = {
      kid: ring.signingKid,
      alg: 'HS256',
      form: 'compact',
      claims: {
        action: 'unsubscribe_groups',
        contactId: 31,
        channel: 'sms',
        groupIds: [1, 4],
        issuedAt: 1_764_460_800,
      },
    };
    for (const input of [code, compactLinkUrl('https://u.example.com', code)]) {
      const result = await run('links', 'decode', input);
      expect(result).toMatchObject({ exitCode: 0, stderr: '' });
      expect(JSON.parse(result.stdout)).toEqual(expected);
    }
    const underU = await run('links', 'decode', `https://u.example.com/u/${code}`);
    expect(underU).toMatchObject({ exitCode: 1, stdout: '' });
    expect(underU.stderr).toMatch(/malformed/);
    const jwsUnderS = await run('links', 'decode', `https://u.example.com/s/${ring.signLink(claims)}`);
    expect(jwsUnderS.stderr).toMatch(/malformed/);
    const tampered = await run('links', 'decode', `${code.slice(0, -2)}${code.endsWith('AA') ? 'BA' : 'AA'}`);
    expect(tampered).toMatchObject({ exitCode: 1 });
  });

  it('accepts a manage link under /m/ but not under /u/', async () => {
    const manage = { ...claims, action: 'manage' as const, groupIds: [] };
    const token = ring.signLink(manage);
    expect((await run('links', 'decode', `http://localhost:8080/m/${token}`)).exitCode).toBe(0);
    const wrong = await run('links', 'decode', `http://localhost:8080/u/${token}`);
    expect(wrong).toMatchObject({ exitCode: 1, stdout: '' });
    expect(wrong.stderr).toMatch(/wrong page/);
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
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(reason);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }

    const aging = await KeyRing.load(file, { maxAgeDays: 60 });
    const old = aging.signLink({ ...claims, issuedAt: 1000 });
    expect((await run('links', 'decode', old)).stderr).toMatch(/expired/);

    ring.rotate();
    ring.retire(aging.signingKid);
    await ring.save();
    expect((await run('links', 'decode', token)).stderr).toMatch(/retired key/);
  });

  it('explains a missing keys file', async () => {
    const result = await runCli(['links', 'decode', 'a.b.c'], {
      env: { UNSUB_KEYS_FILE: path.join(dir, 'missing.json') },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/does not exist/);
  });
});
