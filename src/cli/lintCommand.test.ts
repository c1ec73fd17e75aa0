/** @module Tests of `unsub lint`, run in process against temp template files. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from './index.js';

const examples = path.resolve(import.meta.dirname, '../../examples');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'unsub-cli-lint-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

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

async function template(name: string, text: string): Promise<string> {
  const full = path.join(dir, name);
  await writeFile(full, text);
  return full;
}

describe('unsub lint', () => {
  it('passes the example newsletter with its catalog', async () => {
    const result = await run(
      'lint',
      path.join(examples, 'newsletter.hbs'),
      '--groups',
      path.join(examples, 'groups.json'),
    );
    expect(result).toMatchObject({ code: 0, out: '' });
    expect(result.err).toContain('1 template OK');
  });

  it('prints FILE:LINE:COL CODE message per problem, warnings marked, and exits 1 on errors', async () => {
    const broken = await template(
      'broken.hbs',
      '<p>Hi {{name}}</p>\n<a href="<<Unsubscrib(\'News\')>>">x</a>\n{{#if vip}}<<link_unsubscribe_unsubscribe_manager>>{{/if}}\n{{link_unsubscribe}}}',
    );
    const result = await run('lint', broken);
    expect(result.code).toBe(1);
    expect(result.out.trim().split('\n')).toEqual([
      `${broken}:2:12 unknown_tag unknown tag <<Unsubscrib>>; did you mean <<Unsubscribe>>?`,
      `${broken}:3:14 alias_tag warning: link_unsubscribe_unsubscribe_manager is an alias; write link_unsubscribe_manager (both work the same)`,
      `${broken}:4:21 stray_brace stray '}' after {{link_unsubscribe…}} (the seed document’s \`}}}\` is a typo: close the tag with \`}}\`)`,
    ]);
    expect(result.err).toContain('2 errors, 1 warning in 1 template');
  });

  it('reports a template without an unsubscribe link, Handlebars syntax and unknown groups', async () => {
    const none = await template('none.hbs', '<p>Hello {{name}}</p>');
    const syntax = await template('syntax.hbs', '<<link_unsubscribe>>\n{{#each items}}\n  {{name}}\n');
    const groups = await template('groups.hbs', "<<Unsubscribe('newz')>>");
    const result = await run('lint', none, syntax, groups, '--groups', path.join(examples, 'groups.json'));
    expect(result.code).toBe(1);
    expect(result.out).toContain(`${none}:1:1 missing_unsubscribe the template has no unsubscribe link`);
    expect(result.out).toMatch(
      new RegExp(`${syntax.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:1 handlebars_syntax `),
    );
    expect(result.out).toContain(`${groups}:1:15 unknown_group unknown group 'newz'; did you mean 'news'?`);
  });

  it('--format json, and an unreadable file is an error', async () => {
    const ok = await template('ok.hbs', '<<link_unsubscribe>>');
    const result = await run('lint', ok, path.join(dir, 'missing.hbs'), '--format', 'json');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.out)).toEqual([
      expect.objectContaining({ code: 'file_unreadable', severity: 'error', line: 1, column: 1 }),
    ]);
  });
});
