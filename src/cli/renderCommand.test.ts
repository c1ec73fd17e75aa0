/** @module Tests of `unsub render`, run in process against temp files and a temp key file. */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/runCli.js';
import { KeyRing, tokenFromLink } from '../links/index.js';

const examples = path.resolve(import.meta.dirname, '../../examples');
const newsletter = path.join(examples, 'newsletter.hbs');
const groups = path.join(examples, 'groups.json');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'unsub-cli-render-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `unsub ARGS…` with a temp key file and the example base URL. */
const run = (...args: string[]) =>
  runCli(args, {
    env: { UNSUB_KEYS_FILE: path.join(dir, 'keys.json'), UNSUB_BASE_URL: 'https://unsub.example.com' },
  });

async function file(name: string, text: string): Promise<string> {
  const full = path.join(dir, name);
  await writeFile(full, text);
  return full;
}

describe('unsub render', () => {
  it('renders one recipient (JSON object) to stdout, creating a key file with a warning', async () => {
    const data = await file(
      'one.json',
      JSON.stringify({ contactId: 17, first_name: 'Zoë', email: 'z@example.com' }),
    );
    const result = await run('render', newsletter, '--data', data, '--groups', groups);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Hello Zoë,');
    expect(result.stderr).toMatch(/warning: no keys file, so a new signing key was created at .*keys\.json/);
    const ring = await KeyRing.load(path.join(dir, 'keys.json'));
    const href = /href="(https:\/\/unsub\.example\.com\/u\/[^"]+)">Unsubscribe from all/.exec(
      result.stdout,
    )![1]!;
    expect(ring.verifyLink(tokenFromLink(href)!.token)).toMatchObject({
      ok: true,
      claims: { action: 'unsubscribe', contactId: 17, groupIds: [] },
    });
  });

  it('--format json prints {html, headers, links} with the RFC 8058 headers', async () => {
    const data = await file('one.json', JSON.stringify({ contactId: 3 }));
    const result = await run(
      'render',
      newsletter,
      '--data',
      data,
      '--groups',
      groups,
      '--format',
      'json',
      '--message-uid',
      'm-1',
    );
    expect(result.exitCode).toBe(0);
    const parsed = JSON.parse(result.stdout);
    expect(parsed.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(parsed.headers['List-Unsubscribe']).toMatch(/^<https:\/\/unsub\.example\.com\/u\/.+>$/);
    expect(parsed.links.map((link: { action: string }) => link.action)).toEqual([
      'unsubscribe_groups',
      'manage',
      'unsubscribe',
      'unsubscribe',
    ]);
  });

  it('renders an NDJSON batch as NDJSON lines, and a CSV batch into --out files', async () => {
    const ndjson = await file(
      'batch.ndjson',
      '{"contactId":1,"first_name":"A"}\n\n{"id":2,"first_name":"B"}\n',
    );
    const lines = await run('render', newsletter, '--data', ndjson, '--groups', groups);
    expect(lines.exitCode).toBe(0);
    const rows = lines.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(rows.map((row) => row.contactId)).toEqual([1, 2]);
    expect(rows[1].html).toContain('Hello B,');
    expect(lines.stderr).not.toContain('ETA'); // stderr is not a terminal here

    const csv = await file('batch.txt', 'contactId,first_name,vip\n5,Eve,true\n6,"O\'Neil, Pat",\n');
    const out = path.join(dir, 'out');
    const files = await run(
      'render',
      newsletter,
      '--data',
      csv,
      '--groups',
      groups,
      '--out',
      out,
      '--format',
      'json',
    );
    expect(files.exitCode).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['5.json', '6.json']);
    const six = JSON.parse(await readFile(path.join(out, '6.json'), 'utf8'));
    expect(six.html).toContain('Hello O&#x27;Neil, Pat,');
  });

  it('refuses the whole batch, listing every bad line, and renders nothing', async () => {
    const bad = await file(
      'bad.ndjson',
      '{"contactId":1}\n{"contactId":0}\nnot json\n{"name":"x"}\n{"contactId":1}\n',
    );
    const out = path.join(dir, 'out');
    const result = await run('render', newsletter, '--data', bad, '--groups', groups, '--out', out);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('bad.ndjson:2: contactId must be a positive integer, got 0');
    expect(result.stderr).toContain('bad.ndjson:3: invalid JSON');
    expect(result.stderr).toContain('bad.ndjson:4: missing contactId (or id)');
    expect(result.stderr).toContain('bad.ndjson:5: contactId 1 repeats line 1');
    expect(result.stderr).toContain('nothing was rendered');
    await expect(readdir(out)).rejects.toThrow();
  });

  it('renders a batch on render threads in file order, byte for byte as on one thread', async () => {
    const rows = Array.from({ length: 700 }, (_, i) =>
      JSON.stringify({ contactId: 700 - i, first_name: `R${i}` }),
    );
    const ndjson = await file('many.ndjson', `\uFEFF${rows.join('\r\n')}`); // BOM, CRLF, no last line end
    const one = await run(
      'render',
      newsletter,
      '--data',
      ndjson,
      '--groups',
      groups,
      '--threads',
      '1',
      '--message-uid',
      'm',
    );
    const two = await run(
      'render',
      newsletter,
      '--data',
      ndjson,
      '--groups',
      groups,
      '--threads',
      '2',
      '--message-uid',
      'm',
    );
    expect(two.exitCode).toBe(0);
    const ids = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).contactId as number);
    expect(ids(two.stdout)).toEqual(Array.from({ length: 700 }, (_, i) => 700 - i));
    // Tokens carry the second they were signed in; everything else must match exactly.
    const masked = (text: string) => text.replace(/\/(u|m)\/[A-Za-z0-9_.-]+/g, '/$1/TOKEN');
    expect(masked(two.stdout)).toBe(masked(one.stdout));

    // CSV rows (parsed on the main thread) rendered by the threads into --out files.
    const csv = await file(
      'many.csv',
      `contactId,first_name\n${rows.map((_, i) => `${i + 1},C${i}`).join('\n')}\n`,
    );
    const out = path.join(dir, 'out');
    const files = await run(
      'render',
      newsletter,
      '--data',
      csv,
      '--groups',
      groups,
      '--out',
      out,
      '--threads',
      '2',
    );
    expect(files.exitCode).toBe(0);
    expect(files.stderr).toContain('rendered 700 recipient(s)');
    expect((await readdir(out)).length).toBe(700);
    expect(await readFile(path.join(out, '700.html'), 'utf8')).toContain('Hello C699,');
  });

  it('refuses a batch on render threads too, naming rows in every batch, and writes no keys', async () => {
    const rows = Array.from({ length: 600 }, (_, i) => JSON.stringify({ contactId: i + 1 }));
    rows[299] = '{"contactId":'; // line 300, in the second batch
    rows[599] = '{"contactId":5}'; // line 600 repeats line 5, in the third
    const bad = await file('bad.ndjson', rows.join('\n'));
    const result = await run('render', newsletter, '--data', bad, '--groups', groups, '--threads', '2');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/bad\.ndjson:300: invalid JSON/);
    expect(result.stderr).toContain('bad.ndjson:600: contactId 5 repeats line 5');
    expect(result.stderr.indexOf(':300:')).toBeLessThan(result.stderr.indexOf(':600:'));
    expect(result.stdout).toBe('');
    await expect(readFile(path.join(dir, 'keys.json'))).rejects.toThrow();
  });

  it('rejects --threads outside 1..64', async () => {
    const data = await file('one.ndjson', '{"contactId":1}\n');
    const result = await run('render', newsletter, '--data', data, '--groups', groups, '--threads', '0');
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('expected a whole number from 1 to 64');
  });

  it('prints template errors as FILE:LINE:COL CODE message and exits 1', async () => {
    const data = await file('one.json', '{"contactId":1}');
    const result = await run('render', newsletter, '--data', data); // no --groups: names cannot resolve
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/newsletter\.hbs:\d+:\d+ unknown_group group 'promo' cannot be resolved/);
    expect(result.stdout).toBe('');
  });

  it('reports a bad group catalog by file and item', async () => {
    const catalog = await file('groups.json', '[{"id":1,"name":"A","systemName":"a","channel":"fax"}]');
    const data = await file('one.json', '{"contactId":1}');
    const result = await run('render', newsletter, '--data', data, '--groups', catalog);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/groups\.json: group catalog \[0\]\.channel: /);
  });

  it("--locale puts the page language in every link; a row's lang wins; an unknown tag is a usage error", async () => {
    const data = await file('rows.ndjson', '{"contactId":1}\n{"contactId":2,"lang":"uk-UA"}\n');
    const result = await run('render', newsletter, '--data', data, '--groups', groups, '--locale', 'ru');
    expect(result.exitCode).toBe(0);
    const ring = await KeyRing.load(path.join(dir, 'keys.json'));
    const locales = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { links: { url: string }[] })
      .map(({ links }) => {
        const verified = ring.verifyLink(tokenFromLink(links[0]!.url)!.token);
        return verified.ok ? verified.claims.locale : verified.reason;
      });
    expect(locales).toEqual(['ru', 'uk']);

    const bad = await run('render', newsletter, '--data', data, '--groups', groups, '--locale', 'klingon');
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/--locale.*the pages speak en, ru, uk/s);
  });
});

describe('unsub render --format eml', () => {
  const eml = (...args: string[]) =>
    runCli(['render', newsletter, '--groups', groups, '--format', 'eml', ...args], {
      env: {
        UNSUB_KEYS_FILE: path.join(dir, 'keys.json'),
        UNSUB_BASE_URL: 'https://unsub.example.com',
        UNSUB_MAIL_FROM: 'Northwind <news@northwind.example.com>',
      },
    });

  it('writes the whole message: From, To, RFC 2047 subject, List-Unsubscribe, both parts', async () => {
    const data = await file(
      'one.json',
      JSON.stringify({ contactId: 4, first_name: 'Жанна', email: 'zh@example.com' }),
    );
    const result = await eml(
      '--data',
      data,
      '--subject',
      'Новости для {{first_name}}',
      '--message-uid',
      'm-1',
    );
    expect(result.stderr).not.toMatch(/error/);
    expect(result.exitCode).toBe(0);
    const head = result.stdout.split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' ');
    expect(head).toContain('From: Northwind <news@northwind.example.com>');
    expect(head).toContain('To: zh@example.com');
    expect(head).toMatch(/^Subject: =\?UTF-8\?B\?/m);
    expect(head).toMatch(/^List-Unsubscribe: <https:\/\/unsub\.example\.com\/u\/[\w.-]+>$/m);
    expect(head).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(head).toContain('Message-ID: <m-1@northwind.example.com>');
    expect(result.stdout).toContain('Content-Type: multipart/alternative');
    expect(result.stdout).toContain('Content-Type: text/plain; charset=utf-8');
  });

  it('a batch goes into --out DIR as <contactId>.eml; --from wins over UNSUB_MAIL_FROM', async () => {
    const data = await file(
      'batch.ndjson',
      [1, 2].map((id) => JSON.stringify({ contactId: id, email: `r${id}@example.com` })).join('\n'),
    );
    const out = path.join(dir, 'out');
    const result = await eml('--data', data, '--subject', 'Hi', '--out', out, '--from', 'o@other.example');
    expect(result.exitCode).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['1.eml', '2.eml']);
    expect(await readFile(path.join(out, '2.eml'), 'utf8')).toMatch(/^From: o@other\.example$/m);
  });

  it('refuses without a subject, rows without an e-mail, and a tag in the subject', async () => {
    const data = await file('batch.ndjson', `${JSON.stringify({ contactId: 1 })}\n`);
    expect((await eml('--data', data, '--out', dir)).stderr).toContain('--subject');
    const noEmail = await eml('--data', data, '--subject', 'x', '--out', path.join(dir, 'o'));
    expect(noEmail.exitCode).toBe(1);
    expect(noEmail.stderr).toContain('email is required');
    const one = await file('one.json', JSON.stringify({ contactId: 1, email: 'a@example.com' }));
    const tagged = await eml('--data', one, '--subject', 'Bye <<link_unsubscribe>>');
    expect(tagged.exitCode).toBe(1);
    expect(tagged.stderr).toContain('--subject:1:5 tag_in_subject');
  });
});
