/**
 * @module The package as users get it: `npm pack` ships what they need and nothing else (no tests,
 * benchmarks or TypeScript sources that `dist` covers), the tarball installed into an empty project
 * exports every name the README documents, and the README's library examples run there against it.
 *
 * "Installed" here means what npm does for a dependency without the registry: the tarball unpacked
 * into `node_modules/unsub`, and unsub's own `dependencies` (only those) linked beside it from this
 * checkout, so that an import of anything undeclared fails as it would for a user.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KeyRing, eventSamples, generateSecret, signWebhook } from '../../src/index.js';
import { packageRoot } from '../../src/version.js';

const run = promisify(execFile);
const tsx = path.join(packageRoot, 'node_modules', '.bin', 'tsx');
const packageJson = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as {
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, Record<string, string>>;
  dependencies: Record<string, string>;
};
const readme = readFileSync(path.join(packageRoot, 'README.md'), 'utf8');

interface PackedFile {
  path: string;
}

let work: string;
let project: string;
let packed: PackedFile[];

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'unsub-package-'));
  // A real pack: it runs `prepare` (the build), so dist is what the sources say now.
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: packageRoot,
    maxBuffer: 64 * 1024 * 1024,
  });
  const [result] = JSON.parse(stdout.slice(stdout.indexOf('['))) as {
    filename: string;
    files: PackedFile[];
  }[];
  if (!result) throw new Error(`npm pack printed no result: ${stdout.slice(0, 500)}`);
  packed = result.files;

  project = path.join(work, 'project');
  const installed = path.join(project, 'node_modules', 'unsub');
  mkdirSync(installed, { recursive: true });
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-app', type: 'module' }));
  await run('tar', ['-xzf', path.join(work, result.filename), '-C', installed, '--strip-components=1']);
  for (const name of Object.keys(packageJson.dependencies)) {
    const link = path.join(project, 'node_modules', name);
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(path.join(packageRoot, 'node_modules', name), link, 'dir');
  }
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack --dry-run', { timeout: 120_000 }, () => {
  test('lists the same files as the real pack, and none of them is a test, bench or TS source', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: packageRoot,
      maxBuffer: 64 * 1024 * 1024,
    });
    const [dry] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { files: PackedFile[] }[];
    const paths = (dry?.files ?? []).map((file) => file.path).sort();
    expect(paths).toEqual(packed.map((file) => file.path).sort());

    const unwanted = paths.filter(
      (file) =>
        /\.test\.|(^|\/)test\/|^bench\/|\.map$/.test(file) ||
        (file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.startsWith('examples/')) ||
        file === 'examples/makeRecipients.ts',
    );
    expect(unwanted).toEqual([]);
  });

  test('ships every entry point, the README, TAGS.md and each view and asset the code reads', async () => {
    const paths = new Set(packed.map((file) => file.path));
    const entries = [
      packageJson.main,
      packageJson.types,
      ...Object.values(packageJson.bin),
      ...Object.values(packageJson.exports).flatMap((conditions) => Object.values(conditions)),
    ].map((entry) => entry.replace(/^\.\//, ''));
    for (const entry of [...entries, 'README.md', 'grammar/TAGS.md', 'package.json'])
      expect(paths, entry).toContain(entry);

    // Views, stylesheets, scripts and catalogs are read at run time from the package root.
    const { stdout } = await run('git', ['ls-files', 'src', 'locales'], { cwd: packageRoot });
    const runtimeFiles = stdout.split('\n').filter((file) => file && !file.endsWith('.ts'));
    expect(runtimeFiles.length).toBeGreaterThan(10);
    for (const file of runtimeFiles) expect(paths, file).toContain(file);
  });
});

describe('the API reference', () => {
  test(
    'every exported function, class, interface, type and method carries TSDoc (typedoc validation)',
    {
      timeout: 300_000,
    },
    async () => {
      const typedoc = path.join(packageRoot, 'node_modules', '.bin', 'typedoc');
      const result = await run(typedoc, ['--emit', 'none', '--treatValidationWarningsAsErrors'], {
        cwd: packageRoot,
      }).catch((error: { stdout: string; stderr: string }) => error);
      expect(`${result.stdout}${result.stderr}`).not.toMatch(/warning|error/i);
    },
  );
});

describe('the installed tarball', { timeout: 120_000 }, () => {
  test('exports every name the README imports from unsub', async () => {
    const documented = new Set<string>();
    for (const match of readme.matchAll(/import\s*\{([^}]*)\}\s*from\s*'unsub'/g))
      for (const name of (match[1] ?? '').split(','))
        if (name.trim() && !name.trim().startsWith('type ')) documented.add(name.trim());
    expect(documented.size).toBeGreaterThan(8);
    const script = `import * as unsub from 'unsub';
      const names = ${JSON.stringify([...documented])};
      console.log(JSON.stringify(names.filter((name) => unsub[name] === undefined)));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project });
    expect(JSON.parse(stdout)).toEqual([]);
  });

  test("the README's library examples are the files under examples/, verbatim", () => {
    const blocks = [...readme.matchAll(/<!-- example: (\S+) -->\s*```ts\n([\s\S]*?)```/g)];
    expect(blocks.map((block) => block[1])).toEqual([
      'examples/compose.ts',
      'examples/receiver-express.ts',
      'examples/embed.ts',
    ]);
    for (const [, file, code] of blocks) {
      const source = readFileSync(path.join(packageRoot, file as string), 'utf8');
      // The file is the block plus its `@module` header comment.
      expect(source.replace(/^\/\*\*[\s\S]*?\*\/\n/, ''), file).toBe(code);
    }
  });

  test('compose: renders signed links and List-Unsubscribe headers that verify', async () => {
    cpSync(path.join(packageRoot, 'examples', 'compose.ts'), path.join(project, 'compose.ts'));
    const { stdout } = await run(tsx, ['compose.ts'], { cwd: project });
    const message = JSON.parse(stdout.trim()) as {
      to: string;
      headers: Record<string, string>;
      links: string[];
    };
    expect(message.to).toBe('anna@example.com');
    expect(message.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const keyRing = await KeyRing.load(path.join(project, 'data', 'keys.json'));
    expect(message.links.length).toBeGreaterThanOrEqual(3);
    for (const link of message.links) {
      const token = new URL(link).pathname.split('/').pop() as string;
      const verified = keyRing.verifyLink(token);
      expect(verified.ok && verified.claims.contactId).toBe(42);
    }
  });

  test('receiver: a signed delivery gets 204, a tampered one 400 with the code', async () => {
    cpSync(path.join(packageRoot, 'examples', 'receiver-express.ts'), path.join(project, 'receiver.ts'));
    const secret = generateSecret();
    const child = spawn(tsx, ['receiver.ts'], {
      cwd: project,
      env: { ...process.env, PORT: '0', UNSUB_RECEIVER_SECRET: secret },
    });
    try {
      const url = await printedUrl(child, /receiving webhooks on (\S+)/);
      const body = JSON.stringify(eventSamples['mailing group unsubscribe']);
      const headers = signWebhook({
        id: 'msg_example',
        timestamp: Math.floor(Date.now() / 1000),
        body,
        secrets: [secret],
      });
      const post = (payload: string) =>
        fetch(url, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: payload,
        });
      expect((await post(body)).status).toBe(204);
      const tampered = await post(body.replace('user@gmail.com', 'other@gmail.com'));
      expect(tampered.status).toBe(400);
      expect(await tampered.json()).toEqual({ code: 'bad_signature' });
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('embed: serves the public pages from your process and stops cleanly on SIGTERM', async () => {
    cpSync(path.join(packageRoot, 'examples', 'embed.ts'), path.join(project, 'embed.ts'));
    const child = spawn(tsx, ['embed.ts'], { cwd: project, env: { ...process.env, PORT: '0' } });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const url = await printedUrl(child, /listening on (\S+)/);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      // A link signed with the key the example created: a contact that does not exist is gone (410).
      const keyRing = await KeyRing.load(path.join(project, 'data', 'keys.json'));
      const token = keyRing.signLink({ action: 'unsubscribe', contactId: 7, channel: 'email', groupIds: [] });
      const page = await fetch(`${url}/u/${token}`);
      expect(page.status).toBe(410);
      expect((await fetch(`${url}/u/not-a-token`)).status).toBe(400);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

/** Resolves with the URL a child prints once it listens (its output so far in the error otherwise). */
function printedUrl(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no URL printed within 60 s:\n${output}`)), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before listening:\n${output}`)));
  });
}
