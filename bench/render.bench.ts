/**
 * @module `npm run bench:render`: signed links/s against the raw node:crypto HMAC floor, compact
 * (SMS) links/s against the same floor, compact verifications/s against JWS verifications/s, and
 * recipients/s for examples/newsletter.hbs against bare Handlebars rendering the same template with
 * fixed links plus the HMACs those links need. Warm-up, then rounds that alternate ours and the
 * floor, medians. Time is the process's CPU time (user + system): on a shared machine wall time also
 * counts the moments other processes held the core. Every ratio is our throughput ÷ the floor's
 * (1.0 = at the floor). Then `unsub render` end to end: the compiled CLI (built first) renders a
 * 300,000-recipient NDJSON file to NDJSON on stdout redirected to a file (on /dev/shm), timed on the wall clock (it may use both cores)
 * against this process rendering the same recipients in a loop, also on the wall clock, in
 * alternating rounds (best of each), and the CPU time per recipient of both (`cli_cpu_ratio`; the
 * CLI's over all its threads, read from the shell that runs it). The last line is one JSON object
 * with the figures.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createHmac, randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { parseTemplate } from '../grammar/index.js';
import { KeyRing, type LinkClaimsInput } from '../src/links/index.js';
import { compile, parseGroupCatalog, render, type Recipient } from '../src/template/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const example = (name: string) => readFileSync(path.join(root, 'examples', name), 'utf8');
const rounds = Number(process.env.BENCH_ROUNDS ?? 9);
/** Passes over the 1,000 recipients per round: long enough rounds that a scheduler hiccup averages out. */
const passes = 3;

/** CPU seconds `body` takes. */
function cpuSeconds(body: () => void): number {
  const before = process.cpuUsage();
  body();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/**
 * Median throughputs (operations per CPU second) of two bodies, measured in alternating rounds so
 * that whatever else the machine does weighs on both alike.
 */
function measurePair(operations: number, ours: () => void, floor: () => void): [number, number] {
  for (let i = 0; i < 2; i++) {
    ours(); // warm-up: JIT, inline caches, lazy compilation
    floor();
  }
  const oursRates: number[] = [];
  const floorRates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    oursRates.push(operations / cpuSeconds(ours));
    floorRates.push(operations / cpuSeconds(floor));
  }
  const median = (rates: number[]) => rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)]!;
  return [median(oursRates), median(floorRates)];
}

const format = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (ours: number, floor: number) => Math.round((ours / floor) * 1000) / 1000;
const keyRing = KeyRing.generate();
const baseUrl = 'https://unsub.example.com';
const floorKey = randomBytes(32);
let sink = 0; // results feed this, so no engine can drop the work

// --- links ---------------------------------------------------------------------------------------
const linkCount = 50_000;
const claims: LinkClaimsInput = {
  action: 'unsubscribe_groups',
  contactId: 1,
  channel: 'email',
  groupIds: [1, 2],
  messageUid: 'msg-2025-03-14-000001',
  issuedAt: 1_741_950_000,
};
const sample = keyRing.signLink(claims);
const signingInput = sample.slice(0, sample.lastIndexOf('.'));
const [linksPerSecond, hmacPerSecond] = measurePair(
  linkCount,
  () => {
    for (let i = 1; i <= linkCount; i++) {
      claims.contactId = i;
      sink += keyRing.signLink(claims).length;
    }
  },
  // The floor: one HMAC-SHA256 over a same-size JWS signing input, base64url, joined as a token.
  () => {
    for (let i = 1; i <= linkCount; i++) {
      sink += `${signingInput}.${createHmac('sha256', floorKey).update(signingInput).digest('base64url')}`
        .length;
    }
  },
);

// --- compact links (SMS) -------------------------------------------------------------------------
// Signing against the same HMAC floor; verifying against verifying the JWS of the same claims.
const compactClaims: LinkClaimsInput = {
  action: 'unsubscribe_groups',
  contactId: 1,
  channel: 'sms',
  groupIds: [1, 2],
  issuedAt: 1_741_950_000,
};
const [compactPerSecond, compactHmacPerSecond] = measurePair(
  linkCount,
  () => {
    for (let i = 1; i <= linkCount; i++) {
      compactClaims.contactId = i;
      sink += keyRing.signCompactLink(compactClaims).length;
    }
  },
  () => {
    for (let i = 1; i <= linkCount; i++) {
      sink += `${signingInput}.${createHmac('sha256', floorKey).update(signingInput).digest('base64url')}`
        .length;
    }
  },
);
const verifyCount = 20_000;
const compactCodes = Array.from({ length: verifyCount }, (_, i) =>
  keyRing.signCompactLink({ ...compactClaims, contactId: i + 1 }),
);
const jwsTokens = Array.from({ length: verifyCount }, (_, i) =>
  keyRing.signLink({ ...compactClaims, contactId: i + 1 }),
);
const [compactVerifyPerSecond, jwsVerifyPerSecond] = measurePair(
  verifyCount,
  () => {
    for (const code of compactCodes) sink += keyRing.verifyCompactLink(code).ok ? 1 : 0;
  },
  () => {
    for (const token of jwsTokens) sink += keyRing.verifyLink(token).ok ? 1 : 0;
  },
);

// --- render --------------------------------------------------------------------------------------
const source = example('newsletter.hbs');
const compiled = compile(source, { groups: parseGroupCatalog(JSON.parse(example('groups.json'))) });
if (!compiled.ok)
  throw new Error(`examples/newsletter.hbs does not compile: ${JSON.stringify(compiled.errors)}`);
const template = compiled.template;
const recipients = example('recipients.ndjson')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Recipient);
const options = { keyRing, baseUrl, messageUid: 'msg-2025-03-14-000001', now: () => 1_741_950_000_000 };

// The HMACs a recipient needs: one per distinct link (the header link usually repeats a body link).
let linksSigned = 0;
for (const recipient of recipients) {
  linksSigned += new Set(render(template, recipient, undefined, options).links.map((link) => link.url)).size;
}
const linksPerRecipient = linksSigned / recipients.length;

// Bare Handlebars: the same template with every tag replaced by a fixed link of the same length.
const fixedUrl = `${baseUrl}/u/${sample}`;
let bareSource = '';
let at = 0;
for (const node of parseTemplate(source).ast.nodes) {
  if (node.kind === 'tag') {
    bareSource += source.slice(at, node.start) + fixedUrl;
    at = node.end;
  }
}
bareSource += source.slice(at);
const bare = Handlebars.create().compile(bareSource);

const [renderPerSecond, barePerSecond] = measurePair(
  recipients.length * passes,
  () => {
    for (let pass = 0; pass < passes; pass++) {
      for (const recipient of recipients) sink += render(template, recipient, undefined, options).html.length;
    }
  },
  () => {
    for (let pass = 0; pass < passes; pass++) {
      for (const recipient of recipients) sink += bare(recipient).length;
    }
  },
);
// The floor pays bare rendering plus the HMACs of the links each recipient needs.
const renderFloorPerSecond = 1 / (1 / barePerSecond + linksPerRecipient / hmacPerSecond);

// --- unsub render, end to end -------------------------------------------------------------------
const cliRecipients = Number(process.env.BENCH_CLI_RECIPIENTS ?? 300_000);
const cliRounds = Number(process.env.BENCH_CLI_ROUNDS ?? 2);
const work = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'unsub-bench-render-'));
const dataFile = path.join(work, 'recipients.ndjson');
const keysFile = path.join(work, 'keys.json');
const outFile = path.join(work, 'out.ndjson');
const statFile = path.join(work, 'cli.stat');

/** The example recipients again and again, each copy with new contact ids. */
async function writeRecipients(): Promise<void> {
  const stream = createWriteStream(dataFile);
  for (let copy = 0; copy * recipients.length < cliRecipients; copy++) {
    let text = '';
    for (let i = 0; i < recipients.length && copy * recipients.length + i < cliRecipients; i++) {
      text += `${JSON.stringify({ ...recipients[i], contactId: copy * recipients.length + i + 1 })}\n`;
    }
    if (!stream.write(text)) await once(stream, 'drain');
  }
  stream.end();
  await once(stream, 'finish');
}

/**
 * Wall seconds of one `unsub render` of the file, NDJSON on stdout redirected to a file, as in
 * `unsub render … > out.ndjson`; the file is on /dev/shm where there is one (the output is 1.6 GB:
 * on this machine's disk the run timed the disk's write-back, and through a pipe to this process it
 * timed the scheduler switching between writer and reader every 64 KB). Checked afterwards.
 */
async function cliSeconds(): Promise<{ seconds: number; cpuSeconds: number | undefined }> {
  const out = openSync(outFile, 'w');
  const started = performance.now();
  const args = [path.join(root, 'bin/unsub.js'), 'render', path.join(root, 'examples/newsletter.hbs')].concat(
    ['--groups', path.join(root, 'examples/groups.json'), '--data', dataFile],
  );
  // Through a shell that reports, after the CLI exits, the CPU time of the children it waited for
  // (`cutime` + `cstime` of /proc/<shell>/stat): the CLI's CPU time over all its threads.
  const child = spawn(
    '/bin/sh',
    [
      '-c',
      '"$0" "$@"; s=$?; cat /proc/$$/stat > "$UNSUB_BENCH_STAT" 2>/dev/null; exit $s',
      process.execPath,
      ...args,
    ],
    {
      stdio: ['ignore', out, 'inherit'],
      env: { ...process.env, UNSUB_KEYS_FILE: keysFile, UNSUB_BASE_URL: baseUrl, UNSUB_BENCH_STAT: statFile },
    },
  );
  const [code] = (await once(child, 'close')) as [number | null];
  const seconds = (performance.now() - started) / 1000;
  closeSync(out);
  if (code !== 0) throw new Error(`unsub render exited with ${code}`);
  await checkOutput();
  rmSync(outFile);
  return { seconds, cpuSeconds: childCpuSeconds() };
}

/** The CPU seconds of the shell's waited-for children, from the stat it wrote (Linux), or undefined. */
function childCpuSeconds(): number | undefined {
  if (!existsSync(statFile)) return undefined;
  const stat = readFileSync(statFile, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd on
  const ticks = Number(fields[13]) + Number(fields[14]); // cutime, cstime
  const perSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  rmSync(statFile);
  return Number.isFinite(ticks) ? ticks / perSecond : undefined;
}

/** The output has one line per recipient, the first and the last in the file's order. */
async function checkOutput(): Promise<void> {
  let lines = 0;
  let head = '';
  for await (const chunk of createReadStream(outFile, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    if (head.length < 64) head += chunk.subarray(0, 64).toString('latin1');
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  }
  const size = statSync(outFile).size;
  const handle = await open(outFile, 'r');
  const tail = Buffer.alloc(Math.min(size, 65_536));
  await handle.read(tail, 0, tail.length, size - tail.length);
  await handle.close();
  const last = tail.toString('latin1').split('\n').at(-2) ?? '';
  if (lines !== cliRecipients) throw new Error(`unsub render wrote ${lines} lines, not ${cliRecipients}`);
  if (!head.startsWith('{"contactId":1,') || !last.startsWith(`{"contactId":${cliRecipients},`)) {
    throw new Error('unsub render wrote its lines out of order');
  }
}

/** Wall seconds of this process rendering the same recipients (same data, same ids) in a loop. */
function inProcessSeconds(): { seconds: number; cpuSeconds: number } {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let done = 0; done < cliRecipients; done++) {
    const recipient = recipients[done % recipients.length]!;
    sink += render(template, { ...recipient, contactId: done + 1 }, undefined, options).html.length;
  }
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

process.stdout.write('building the CLI (npm run build) and writing the recipients file …\n');
const build = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
if (build.status !== 0) throw new Error('the build failed');
await writeRecipients();
await KeyRing.load(keysFile, { create: true }); // so the CLI does not warn that it made one
let cliBest = Infinity;
let inProcessBest = Infinity;
let cliCpuBest = Infinity;
let inProcessCpuBest = Infinity;
try {
  for (let round = 0; round < cliRounds; round++) {
    const inProcess = inProcessSeconds();
    inProcessBest = Math.min(inProcessBest, inProcess.seconds);
    inProcessCpuBest = Math.min(inProcessCpuBest, inProcess.cpuSeconds);
    const cli = await cliSeconds();
    cliBest = Math.min(cliBest, cli.seconds);
    cliCpuBest = Math.min(cliCpuBest, cli.cpuSeconds ?? Infinity);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const cliPerSecond = cliRecipients / cliBest;
const inProcessPerSecond = cliRecipients / inProcessBest;

const result = {
  links_per_s: Math.round(linksPerSecond),
  hmac_floor_per_s: Math.round(hmacPerSecond),
  links_ratio: ratio(linksPerSecond, hmacPerSecond),
  recipients_per_s: Math.round(renderPerSecond),
  bare_handlebars_per_s: Math.round(barePerSecond),
  links_per_recipient: Math.round(linksPerRecipient * 100) / 100,
  render_floor_per_s: Math.round(renderFloorPerSecond),
  render_ratio: ratio(renderPerSecond, renderFloorPerSecond),
  compact_links_per_s: Math.round(compactPerSecond),
  compact_links_ratio: ratio(compactPerSecond, compactHmacPerSecond),
  compact_verify_per_s: Math.round(compactVerifyPerSecond),
  jws_verify_per_s: Math.round(jwsVerifyPerSecond),
  compact_verify_ratio: ratio(compactVerifyPerSecond, jwsVerifyPerSecond),
  cli_recipients: cliRecipients,
  cli_per_s: Math.round(cliPerSecond),
  in_process_wall_per_s: Math.round(inProcessPerSecond),
  cli_ratio: ratio(cliPerSecond, inProcessPerSecond),
  // CPU per recipient, all threads of the CLI (start-up included) against the in-process loop:
  // how much more work a row costs end to end. Other load on the machine barely moves it; on idle
  // cores cli_ratio can reach at most cli_threads × this.
  cli_cpu_us_per_row: Number.isFinite(cliCpuBest)
    ? Math.round((cliCpuBest / cliRecipients) * 1e7) / 10
    : null,
  in_process_cpu_us_per_row: Math.round((inProcessCpuBest / cliRecipients) * 1e7) / 10,
  cli_cpu_ratio: Number.isFinite(cliCpuBest) ? ratio(inProcessCpuBest, cliCpuBest) : null,
  cli_threads: Math.min(os.availableParallelism(), 8),
  rounds,
};
process.stdout.write(
  `links:  ${format(linksPerSecond)} signed links/s vs ${format(hmacPerSecond)}/s raw HMAC floor → ratio ${result.links_ratio}\n`,
);
process.stdout.write(
  `render: ${format(renderPerSecond)} recipients/s vs ${format(renderFloorPerSecond)}/s floor ` +
    `(bare Handlebars ${format(barePerSecond)}/s + ${result.links_per_recipient} HMACs/recipient) → ratio ${result.render_ratio}\n`,
);
process.stdout.write(
  `compact: ${format(compactPerSecond)} compact links/s vs ${format(compactHmacPerSecond)}/s raw HMAC floor → ratio ${result.compact_links_ratio}\n`,
);
process.stdout.write(
  `verify: ${format(compactVerifyPerSecond)} compact/s vs ${format(jwsVerifyPerSecond)} JWS/s → ratio ${result.compact_verify_ratio}\n`,
);
process.stdout.write(
  `cli:    unsub render ${format(cliRecipients)} recipients NDJSON → NDJSON file: ${format(cliPerSecond)}/s wall ` +
    `vs ${format(inProcessPerSecond)}/s rendering in process → ratio ${result.cli_ratio}\n`,
);
process.stdout.write(
  `        CPU per recipient: ${result.cli_cpu_us_per_row ?? '?'} µs (all CLI threads, start-up included) ` +
    `vs ${result.in_process_cpu_us_per_row} µs in process → cli_cpu_ratio ${result.cli_cpu_ratio ?? '?'}\n`,
);
if (sink === 0) process.stdout.write('\n');
process.stdout.write(`${JSON.stringify(result)}\n`);
