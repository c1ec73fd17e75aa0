/**
 * @module `unsub render TEMPLATE --data FILE`: renders one recipient (a JSON object) to stdout, or a
 * batch (JSON array, NDJSON, CSV) to `--out DIR` or as NDJSON on stdout. Every row is validated
 * before anything renders, so a bad file never leaves a half-rendered batch.
 */
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../config/index.js';
import { matchLocale, supportedLocales } from '../i18n/index.js';
import { KeyRing, type Channel } from '../links/index.js';
import {
  buildEml,
  compileMessage,
  MessageTemplateError,
  renderMessage,
  templateParts,
  type CompiledMessage,
} from '../messageTemplates/index.js';
import {
  compile,
  render,
  type CompiledTemplate,
  type LinkForm,
  type Recipient,
  type RenderOptions,
} from '../template/index.js';
import { formatProblem, loadGroupCatalog } from './lintCommand.js';
import { createProgressBar } from './progressBar.js';
import { detectRecipientFormat, readRecipientRows, validateRecipientRows } from './recipientRows.js';

interface RenderCommandOptions {
  data: string;
  groups?: string;
  format: 'html' | 'json' | 'eml';
  out?: string;
  channel: Channel;
  links?: LinkForm;
  messageUid?: string;
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

/** Writes to stdout, waiting when the pipe is full (a million rows must not pile up in memory). */
async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

/** Compiles the template file or prints its problems and returns undefined. */
async function compileFile(
  file: string,
  groupsFile: string | undefined,
  target: { channel: Channel; links?: LinkForm },
): Promise<CompiledTemplate | undefined> {
  const groups = groupsFile === undefined ? undefined : await loadGroupCatalog(groupsFile);
  const source = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  const result = compile(source, { groups, channel: target.channel, links: target.links });
  for (const warning of result.warnings) process.stderr.write(`${formatProblem(file, warning, 'warning')}\n`);
  if (result.ok) return result.template;
  for (const error of result.errors) process.stderr.write(`${formatProblem(file, error, 'error')}\n`);
  return undefined;
}

/** The per-recipient render options: a message uid in the row (`message_uid`/`messageUid`) wins. */
function optionsFor(recipient: Recipient, base: RenderOptions): RenderOptions {
  const uid = recipient.message_uid ?? recipient.messageUid;
  return typeof uid === 'string' && uid !== '' ? { ...base, messageUid: uid } : base;
}

/** Compiles the template file as an e-mail (subject, HTML, text) or prints its problems. */
async function compileMessageFile(
  file: string,
  options: RenderCommandOptions,
): Promise<CompiledMessage | undefined> {
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
  const template = await compileFile(templateFile, options.groups, options);
  if (template === undefined) {
    process.exitCode = 1;
    return;
  }
  const format = await detectRecipientFormat(options.data);
  const { count, problems } = await validateRecipientRows(options.data, format);
  if (problems.length > 0) {
    for (const { where, problem } of problems) {
      process.stderr.write(`${options.data}:${where.replace(/^line /, '')}: ${problem}\n`);
    }
    process.stderr.write(`unsub: ${problems.length} bad row(s) in ${options.data}; nothing was rendered\n`);
    process.exitCode = 1;
    return;
  }
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
  const base: RenderOptions = {
    keyRing,
    baseUrl: config.baseUrl,
    channel: options.channel,
    links: options.links,
  };
  if (options.messageUid !== undefined) base.messageUid = options.messageUid;
  if (options.locale !== undefined) base.locale = options.locale;
  if (options.out !== undefined) await mkdir(options.out, { recursive: true });
  const extension = options.format === 'json' ? 'json' : 'html';
  const single = format === 'object';
  const progress = createProgressBar({ total: count, stream: process.stderr, label: 'rendering' });

  for await (const row of readRecipientRows(options.data, format)) {
    if (!('recipient' in row)) continue; // validated above; cannot happen unless the file changed
    const { recipient } = row;
    const result = render(template, recipient, undefined, optionsFor(recipient, base));
    if (options.out !== undefined) {
      const body = extension === 'json' ? `${JSON.stringify(result, null, 2)}\n` : result.html;
      await writeFile(path.join(options.out, `${recipient.contactId}.${extension}`), body);
    } else if (single) {
      await writeOut(options.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : result.html);
    } else {
      await writeOut(`${JSON.stringify({ contactId: recipient.contactId, ...result })}\n`);
    }
    if (!single) progress.tick();
  }
  if (!single) progress.done();
  if (options.out !== undefined) {
    process.stderr.write(`rendered ${count} recipient(s) into ${options.out}\n`);
  }
}

/** Loads the key ring the way every render does (created with a warning when missing). */
async function loadKeyRing(config: ReturnType<typeof loadConfig>): Promise<KeyRing> {
  return KeyRing.load(config.keysFile, {
    create: true,
    maxAgeDays: config.linkMaxAgeDays,
    onCreate: (file) =>
      process.stderr.write(
        `unsub: warning: no keys file, so a new signing key was created at ${file}; keep it secret and back it up (links die with it)\n`,
      ),
  });
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
    .exitOverride()
    .action(run);
}
