/**
 * @module `unsub render TEMPLATE --data FILE`: renders one recipient (a JSON object) to stdout, or a
 * batch (JSON array, NDJSON, CSV) to `--out DIR` or as NDJSON on stdout. Every row is validated
 * before anything renders, so a bad file never leaves a half-rendered batch. A batch is checked and
 * rendered on render threads
 * (one per core by default), its output written in the file's order.
 */
import { once } from 'node:events';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { matchLocale, supportedLocales } from '../i18n/index.js';
import { KeyRing, type Channel } from '../links/index.js';
// `--format eml` only: the message templates bring the store (both database drivers), nodemailer
// and html-to-text, which a batch to NDJSON never uses; they load when that format runs (start-up
// is part of every `unsub render`).
import type { CompiledMessage } from '../messageTemplates/index.js';
import {
  compile,
  render,
  type CompileResult,
  type GroupCatalog,
  type LinkForm,
  type RenderOptions,
} from '../template/index.js';
import { formatProblem, loadGroupCatalog } from './lintCommand.js';
import { createProgressBar } from './progressBar.js';
import { readRecipientBatches, RepeatFinder, checkBatch, type RecipientBatch } from './recipientBatches.js';
import { detectRecipientFormat, readRecipientRows, validateRecipientRows } from './recipientRows.js';
import { optionsFor, type BatchRenderer } from './renderRecipientBatch.js';
import { inOrder, localRunner, startRenderThreads, type BatchRunner } from './renderThreads.js';

interface RenderCommandOptions {
  data: string;
  groups?: string;
  format: 'html' | 'json' | 'eml';
  out?: string;
  channel: Channel;
  links?: LinkForm;
  messageUid?: string;
  threads?: number;
  subject?: string;
  text?: string;
  from?: string;
  locale?: string;
}

/** `--locale`: a tag the pages can speak (`ru`, `pt-BR`, `de-AT` → `de`), else a usage error. */
function parseLocaleOption(value: string): string {
  if (!matchLocale(value)) {
    throw new InvalidArgumentError(`the pages speak ${supportedLocales.join(', ')}`);
  }
  return value;
}

/** Below this file size a batch renders on the main thread: starting threads would cost more. */
const threadsFromBytes = 1 << 20;

/**
 * Writes to stdout, waiting when the pipe is full (a million rows must not pile up in memory).
 * `written` runs once the bytes are out (a pipe may hold them for a while), so their memory can be
 * used again.
 */
async function writeOut(text: string | Uint8Array, written?: () => void): Promise<void> {
  // A Buffer view (no copy) of a thread's bytes: streams take both, and a Buffer reads as text.
  const chunk = typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  const done = written === undefined ? undefined : (error?: Error | null) => error || written();
  if (!process.stdout.write(chunk, done)) await once(process.stdout, 'drain');
}

/** Compiles the template file, printing its warnings and errors. */
async function compileFile(
  file: string,
  groupsFile: string | undefined,
  target: { channel: Channel; links?: LinkForm | undefined },
): Promise<{ source: string; groups: GroupCatalog | undefined; result: CompileResult }> {
  const groups = groupsFile === undefined ? undefined : await loadGroupCatalog(groupsFile);
  const source = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  const result = compile(source, { groups, channel: target.channel, links: target.links });
  for (const warning of result.warnings) process.stderr.write(`${formatProblem(file, warning, 'warning')}\n`);
  if (!result.ok) {
    for (const error of result.errors) process.stderr.write(`${formatProblem(file, error, 'error')}\n`);
  }
  return { source, groups, result };
}

/** How many render threads a batch of `bytes` gets: `--threads`, else one per core for a big file. */
function threadCount(requested: number | undefined, bytes: number): number {
  if (requested !== undefined) return requested;
  return bytes < threadsFromBytes ? 1 : Math.min(availableParallelism(), 8);
}

/** Loads (or on first use creates) the signing keys, with the warnings a first run needs. */
async function loadKeyRing(config: Config): Promise<KeyRing> {
  const keyRing = await KeyRing.load(config.keysFile, {
    create: true,
    maxAgeDays: config.linkMaxAgeDays,
    onCreate: (file) =>
      process.stderr.write(
        `unsub: warning: no keys file, so a new signing key was created at ${file}; keep it secret and back it up (links die with it)\n`,
      ),
  });
  if (config.baseUrlFromDefault) {
    process.stderr.write(`unsub: warning: UNSUB_BASE_URL is not set; links point at ${config.baseUrl}\n`);
  }
  return keyRing;
}

/** Prints the bad rows and marks the run failed. */
function refuse(file: string, problems: readonly { where: string; problem: string }[]): void {
  for (const { where, problem } of problems) {
    process.stderr.write(`${file}:${where.replace(/^line /, '')}: ${problem}\n`);
  }
  process.stderr.write(`unsub: ${problems.length} bad row(s) in ${file}; nothing was rendered\n`);
  process.exitCode = 1;
}

/** Compiles the template file as an e-mail (subject, HTML, text) or prints its problems. */
async function compileMessageFile(
  file: string,
  options: RenderCommandOptions,
): Promise<CompiledMessage | undefined> {
  const { compileMessage, templateParts } = await import('../messageTemplates/index.js');
  const groups = options.groups === undefined ? undefined : await loadGroupCatalog(options.groups);
  const html = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  const text =
    options.text === undefined ? null : (await readFile(options.text, 'utf8')).replace(/^\uFEFF/, '');
  const result = compileMessage(
    templateParts({ channel: 'email', subject: options.subject ?? '', html, text }),
    groups,
  );
  const where = (part: string) => (part === 'html' ? file : part === 'text' ? options.text! : '--subject');
  for (const warning of result.warnings)
    process.stderr.write(`${formatProblem(where(warning.part), warning, 'warning')}\n`);
  if (result.ok) return result.message;
  for (const error of result.errors)
    process.stderr.write(`${formatProblem(where(error.part), error, 'error')}\n`);
  return undefined;
}

async function run(templateFile: string, options: RenderCommandOptions): Promise<void> {
  if (options.format === 'eml') return runEml(templateFile, options);
  const config = loadConfig();
  const compiled = await compileFile(templateFile, options.groups, options);
  if (!compiled.result.ok) {
    process.exitCode = 1;
    return;
  }
  const template = compiled.result.template;
  const format = await detectRecipientFormat(options.data);
  const base: Omit<RenderOptions, 'keyRing'> = { baseUrl: config.baseUrl, channel: options.channel };
  if (options.links !== undefined) base.links = options.links;
  if (options.messageUid !== undefined) base.messageUid = options.messageUid;
  if (options.locale !== undefined) base.locale = options.locale;
  const batchFormat = options.format === 'json' ? 'json' : 'html';
  const json = options.format === 'json';

  if (format === 'object') {
    for await (const row of readRecipientRows(options.data, format)) {
      if ('problem' in row) return refuse(options.data, [row]);
      const keyRing = await loadKeyRing(config);
      const result = render(
        template,
        row.recipient,
        undefined,
        optionsFor(row.recipient, { ...base, keyRing }),
      );
      const text = json ? `${JSON.stringify(result, null, 2)}\n` : result.html;
      if (options.out === undefined) return writeOut(text);
      await mkdir(options.out, { recursive: true });
      await writeFile(path.join(options.out, `${row.recipient.contactId}.${json ? 'json' : 'html'}`), text);
      process.stderr.write(`rendered 1 recipient(s) into ${options.out}\n`);
    }
    return;
  }

  const renderer: BatchRenderer = { template, keyRing: undefined, base, format: batchFormat };
  if (options.out !== undefined) renderer.out = options.out;
  const threads = threadCount(options.threads, (await stat(options.data)).size);
  const runner: BatchRunner =
    threads <= 1
      ? localRunner(renderer)
      : await startRenderThreads(threads, {
          spec: template.spec,
          keysFile: config.keysFile,
          maxAgeDays: config.linkMaxAgeDays,
          base,
          out: options.out,
          format: batchFormat,
        });
  try {
    await renderBatch(options, format, runner, async () => {
      renderer.keyRing = await loadKeyRing(config);
    });
  } finally {
    await runner.close();
  }
}

/** Checks every row of the batch file, then renders it in order (or lists every bad row and stops). */
async function renderBatch(
  options: RenderCommandOptions,
  format: 'array' | 'ndjson' | 'csv',
  runner: BatchRunner,
  beforeRender: () => Promise<void>,
): Promise<void> {
  // NDJSON lines are parsed on the threads; CSV and array rows were parsed while reading.
  const check = (batch: RecipientBatch) =>
    batch.kind === 'lines' ? runner.check(batch) : Promise.resolve(checkBatch(batch));
  const repeats = new RepeatFinder(format === 'array' ? 'item' : 'line');
  await inOrder(readRecipientBatches(options.data, format), runner.depth, check, (result) =>
    repeats.add(result),
  );
  const { count, problems } = repeats.result();
  if (problems.length > 0) return refuse(options.data, problems);
  await beforeRender(); // the keys are loaded (or created) only for a batch that will render
  if (options.out !== undefined) await mkdir(options.out, { recursive: true });
  const progress = createProgressBar({ total: count, stream: process.stderr, label: 'rendering' });
  await inOrder(
    readRecipientBatches(options.data, format),
    runner.depth,
    (batch) => runner.render(batch),
    async ({ rows, bytes, release }) => {
      if (bytes !== undefined) await writeOut(bytes, release);
      progress.tick(rows);
    },
  );
  progress.done();
  if (options.out !== undefined) {
    process.stderr.write(`rendered ${count} recipient(s) into ${options.out}\n`);
  }
}

/** `--threads N`: a whole number from 1 (render on the main thread) to 64. */
function parseThreads(value: string): number {
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new InvalidArgumentError('expected a whole number from 1 to 64');
  }
  return threads;
}

/**
 * `--format eml`: each recipient's whole message (From, To, Subject, List-Unsubscribe headers,
 * multipart/alternative text and HTML) as `.eml`, to stdout for one recipient or `--out DIR`.
 */
async function runEml(templateFile: string, options: RenderCommandOptions): Promise<void> {
  const config = loadConfig();
  const from = options.from ?? config.mailFrom;
  const fail = (message: string) => {
    process.stderr.write(`unsub: ${message}\n`);
    process.exitCode = 1;
  };
  if (from === undefined) return fail('--format eml needs a sender: --from ADDRESS, or set UNSUB_MAIL_FROM');
  if (options.subject === undefined) return fail('--format eml needs --subject (merge fields allowed)');
  const { buildEml, MessageTemplateError, renderMessage } = await import('../messageTemplates/index.js');
  const message = await compileMessageFile(templateFile, options);
  if (message === undefined) {
    process.exitCode = 1;
    return;
  }
  const format = await detectRecipientFormat(options.data);
  if (format !== 'object' && options.out === undefined)
    return fail('--format eml renders a batch only into --out DIR (one <contactId>.eml per recipient)');
  const { count, problems } = await validateRecipientRows(options.data, format);
  // Every row needs an address for To: checked before anything is written.
  for await (const entry of readRecipientRows(options.data, format)) {
    if (
      'recipient' in entry &&
      (typeof entry.recipient.email !== 'string' || !entry.recipient.email.includes('@'))
    )
      problems.push({ where: entry.where, problem: 'email is required for --format eml (the To address)' });
  }
  if (problems.length > 0) {
    for (const { where, problem } of problems)
      process.stderr.write(`${options.data}:${where.replace(/^line /, '')}: ${problem}\n`);
    return fail(`${problems.length} bad row(s) in ${options.data}; nothing was rendered`);
  }
  const keyRing = await loadKeyRing(config);
  const base: RenderOptions = { keyRing, baseUrl: config.baseUrl, channel: options.channel };
  if (options.messageUid !== undefined) base.messageUid = options.messageUid;
  if (options.out !== undefined) await mkdir(options.out, { recursive: true });
  const progress = createProgressBar({ total: count, stream: process.stderr, label: 'rendering' });
  for await (const entry of readRecipientRows(options.data, format)) {
    if (!('recipient' in entry)) continue;
    const { recipient } = entry;
    const renderOptions = optionsFor(recipient, base);
    const eml = await buildEml(renderMessage(message, recipient, renderOptions), {
      from,
      to: recipient.email!,
      date: new Date(),
      ...(renderOptions.messageUid === undefined ? {} : { messageUid: renderOptions.messageUid }),
    }).catch((error: unknown) => {
      if (error instanceof MessageTemplateError)
        throw new Error(`--${error.field ?? 'from'}: ${error.message}`);
      throw error;
    });
    if (options.out === undefined) {
      if (!process.stdout.write(eml)) await once(process.stdout, 'drain');
    } else {
      await writeFile(path.join(options.out, `${recipient.contactId}.eml`), eml);
      progress.tick();
    }
  }
  if (options.out !== undefined) {
    progress.done();
    process.stderr.write(`rendered ${count} message(s) into ${options.out}\n`);
  }
}

/** The `render` command. */
export function renderCommand(): Command {
  return new Command('render')
    .description('render a template for one recipient (JSON object) or a batch (JSON array, NDJSON, CSV)')
    .argument('<template>', 'template file (Handlebars with unsubscribe tags)')
    .requiredOption('--data <file>', 'recipient data: a JSON object, or a JSON array / NDJSON / CSV batch')
    .option('--groups <file>', 'group catalog (groups.json) to resolve group names against')
    .addOption(
      new Option(
        '--format <format>',
        'single recipient or --out files: html, json {html, headers, links}, or eml (the whole message)',
      )
        .choices(['html', 'json', 'eml'])
        .default('html'),
    )
    .option('--out <dir>', 'write one file per recipient (<contactId>.html or .json) into this directory')
    .addOption(
      new Option('--channel <channel>', 'channel of the message').choices(['email', 'sms']).default('email'),
    )
    .addOption(
      new Option('--links <form>', 'link form: compact /s/ links (default for sms) or jws').choices([
        'compact',
        'jws',
      ]),
    )
    .option('--message-uid <uid>', 'message uid carried in the links (a row’s message_uid field wins)')
    .option('--subject <text>', '--format eml: the subject line (merge fields allowed, tags are not)')
    .option('--text <file>', '--format eml: a hand-written text part (default: generated from the HTML)')
    .option('--from <address>', '--format eml: the sender (default UNSUB_MAIL_FROM)')
    .option(
      '--locale <tag>',
      'language of the pages the links open, e.g. ru (a row’s lang or locale field wins)',
      parseLocaleOption,
    )
    .option(
      '--threads <n>',
      'render threads for a batch (default: one per core for files from 1 MB; 1 renders on the main thread)',
      parseThreads,
    )
    .exitOverride()
    .action(run);
}
