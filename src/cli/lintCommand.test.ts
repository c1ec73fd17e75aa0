/** @module Tests of `unsub lint`, run in process against temp template files. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/runCli.js';

const examples = path.resolve(import.meta.dirname, '../../examples');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'unsub-cli-lint-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `unsub ARGS…`. */
const run = (...args: string[]) => runCli(args);

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
    expect(result).toMatchObject({ exitCode: 0, stdout: '' });
    expect(result.stderr).toContain('1 template OK');
  });

  it('prints FILE:LINE:COL CODE message per problem, warnings marked, and exits 1 on errors', async () => {
    const broken = await template(
      'broken.hbs',
      '<p>Hi {{name}}</p>\n<a href="<<Unsubscrib(\'News\')>>">x</a>\n{{#if vip}}<<link_unsubscribe_unsubscribe_manager>>{{/if}}\n{{link_unsubscribe}}}',
    );
    const result = await run('lint', broken);
    expect(result.exitCode).toBe(1);
    expect(result.stdout.trim().split('\n')).toEqual([
      `${broken}:2:12 unknown_tag unknown tag <<Unsubscrib>>; did you mean <<Unsubscribe>>?`,
      `${broken}:3:14 alias_tag warning: link_unsubscribe_unsubscribe_manager is an alias; write link_unsubscribe_manager (both work the same)`,
      `${broken}:4:21 stray_brace stray '}' after {{link_unsubscribe…}} (the seed document’s \`}}}\` is a typo: close the tag with \`}}\`)`,
    ]);
    expect(result.stderr).toContain('2 errors, 1 warning in 1 template');
  });

  it('reports a template without an unsubscribe link, Handlebars syntax and unknown groups', async () => {
    const none = await template('none.hbs', '<p>Hello {{name}}</p>');
    const syntax = await template('syntax.hbs', '<<link_unsubscribe>>\n{{#each items}}\n  {{name}}\n');
    const groups = await template('groups.hbs', "<<Unsubscribe('newz')>>");
    const result = await run('lint', none, syntax, groups, '--groups', path.join(examples, 'groups.json'));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(`${none}:1:1 missing_unsubscribe the template has no unsubscribe link`);
    expect(result.stdout).toMatch(
      new RegExp(`${syntax.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:1 handlebars_syntax `),
    );
    expect(result.stdout).toContain(
      `${groups}:1:15 unknown_group unknown group 'newz'; did you mean 'news'?`,
    );
  });

  it('--format json, and an unreadable file is an error', async () => {
    const ok = await template('ok.hbs', '<<link_unsubscribe>>');
    const result = await run('lint', ok, path.join(dir, 'missing.hbs'), '--format', 'json');
    expect(result.exitCode).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual([
      expect.objectContaining({ code: 'file_unreadable', severity: 'error', line: 1, column: 1 }),
    ]);
  });

  it('--channel sms reports the rendered length, warns above one segment, and refuses a redirect', async () => {
    const short = await template('short.txt', 'Sale today! Stop: <<link_unsubscribe>>');
    const long = await template(
      'long.txt',
      'Привет, {{name}}! Скидки до пятницы. Отписаться: <<link_unsubscribe>>',
    );
    const redirect = await template(
      'redirect.txt',
      "Bye: <<UnsubscribeRedirect('https://shop.example/bye', '4')>>",
    );
    const base = ['--channel', 'sms', '--base-url', 'https://u.example.com'];
    const ok = await run('lint', short, long, ...base);
    expect(ok.exitCode).toBe(0);
    const lines = ok.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^${short.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:1 sms_length info: renders to \\d+ GSM-7 characters: 1 SMS \\(of 160\\)$`,
      ),
    );
    expect(lines[1]).toContain(':1:1 sms_segments warning: renders to');
    expect(lines[1]).toContain('UCS-2 characters: 2 SMS segments of 67 (one SMS holds 70)');
    expect(ok.stderr).toContain('0 errors, 1 warning in 2 templates');

    const sample = path.join(dir, 'sample.json');
    await writeFile(sample, JSON.stringify({ name: 'Ян' }));
    const json = await run('lint', short, '--format', 'json', '--data', sample, ...base);
    const [entry] = JSON.parse(json.stdout) as {
      sms: { characters: number; segments: number; encoding: string };
    }[];
    expect(entry?.sms).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(entry?.sms.characters).toBe('Sale today! Stop: https://u.example.com/s/'.length + 22);

    const refused = await run('lint', redirect, ...base);
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toContain(
      `${redirect}:1:6 compact_link_redirect UnsubscribeRedirect cannot be a compact SMS link`,
    );
  });
});
