/**
 * @module `unsub lint TEMPLATE…`: checks templates (tags, groups, Handlebars syntax, a missing
 * unsubscribe link) and prints `FILE:LINE:COL CODE message` per problem; exit 1 on any error.
 * For SMS templates (`--channel sms`) it also reports the rendered length and SMS segments.
 */
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { loadConfig } from '../config/index.js';
import type { Channel } from '../links/index.js';
import {
  compile,
  measureSmsTemplate,
  parseGroupCatalog,
  TemplateError,
  type GroupCatalog,
  type LinkForm,
  type SmsLength,
  type TagError,
} from '../template/index.js';

/** One line of lint output: `FILE:LINE:COL CODE message`, warnings marked, the hint in parentheses. */
export function formatProblem(
  file: string,
  problem: Pick<TagError, 'line' | 'column' | 'message' | 'hint'> & { code: string },
  severity: 'error' | 'warning' | 'info',
): string {
  const hint = problem.hint === undefined ? '' : ` (${problem.hint})`;
  const marker = severity === 'error' ? '' : `${severity}: `;
  return `${file}:${problem.line}:${problem.column} ${problem.code} ${marker}${problem.message}${hint}`;
}

/**
 * Reads and validates a group catalog file (`groups.json`).
 * @throws TemplateError `invalid_catalog` naming the file and the item at fault.
 */
export async function loadGroupCatalog(file: string): Promise<GroupCatalog> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TemplateError(
      'invalid_catalog',
      `cannot read group catalog ${file}: ${(error as Error).message}`,
      {
        field: file,
        cause: error,
      },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new TemplateError('invalid_catalog', `${file}: invalid JSON: ${(error as Error).message}`, {
      field: file,
    });
  }
  try {
    return parseGroupCatalog(value);
  } catch (error) {
    if (error instanceof TemplateError)
      throw new TemplateError(error.code, `${file}: ${error.message}`, { field: file });
    throw error;
  }
}

interface LintReport {
  file: string;
  line: number;
  column: number;
  code: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  hint?: string;
  /** SMS templates: the rendered length and segments. */
  sms?: SmsLength;
}

/** How the templates are sent: channel, link form, and for SMS what the length is measured with. */
interface LintTarget {
  channel: Channel;
  links?: LinkForm;
  baseUrl?: string;
  data?: Record<string, unknown>;
}

/** The SMS length entry of a compiled SMS template: info for one segment, a warning above. */
function smsLengthReport(
  file: string,
  template: Parameters<typeof measureSmsTemplate>[0],
  target: LintTarget,
) {
  const {
    text: _text,
    warning,
    ...sms
  } = measureSmsTemplate(template, {
    baseUrl: target.baseUrl as string,
    ...(target.data === undefined ? {} : { data: target.data }),
  });
  if (warning) return { file, severity: 'warning' as const, ...warning, sms };
  return {
    file,
    line: 1,
    column: 1,
    code: 'sms_length',
    severity: 'info' as const,
    message: `renders to ${sms.characters} ${sms.encoding} characters: 1 SMS (of ${sms.perSegment})`,
    sms,
  };
}

/** Lints one file into report entries. */
async function lintFile(
  file: string,
  groups: GroupCatalog | undefined,
  target: LintTarget,
): Promise<LintReport[]> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return [
      {
        file,
        line: 1,
        column: 1,
        code: 'file_unreadable',
        severity: 'error',
        message: `cannot read ${file} (${reason})`,
      },
    ];
  }
  const result = compile(source.replace(/^\uFEFF/, ''), {
    groups,
    requireUnsubscribe: true,
    channel: target.channel,
    links: target.links,
  });
  const entries = [
    ...(result.ok ? [] : result.errors).map((problem) => ({ problem, severity: 'error' as const })),
    ...result.warnings.map((problem) => ({ problem, severity: 'warning' as const })),
  ].sort((a, b) => a.problem.line - b.problem.line || a.problem.column - b.problem.column);
  const reports: LintReport[] = entries.map(({ problem, severity }) => ({ file, severity, ...problem }));
  if (result.ok && target.channel === 'sms') reports.unshift(smsLengthReport(file, result.template, target));
  return reports;
}

/** Reads the `--data` sample: one JSON object of merge fields. */
async function loadSample(file: string): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse((await readFile(file, 'utf8')).replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new TemplateError('invalid_recipient', `--data ${file}: ${(error as Error).message}`, {
      field: file,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TemplateError('invalid_recipient', `--data ${file} must hold one JSON object of merge fields`, {
      field: file,
    });
  }
  return value as Record<string, unknown>;
}

interface LintOptions {
  groups?: string;
  format: 'text' | 'json';
  channel: Channel;
  links?: LinkForm;
  baseUrl?: string;
  data?: string;
}

/** The `lint` command. */
export function lintCommand(): Command {
  return new Command('lint')
    .description(
      'check templates: tags, group names, Handlebars syntax, and that an unsubscribe link is present',
    )
    .argument('<template...>', 'template files to check')
    .option('--groups <file>', 'group catalog (groups.json) to resolve group names against')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(
      new Option('--channel <channel>', 'channel the templates are sent on (sms: compact links, SMS length)')
        .choices(['email', 'sms'])
        .default('email'),
    )
    .addOption(
      new Option('--links <form>', 'link form (default: compact for sms, else jws)').choices([
        'compact',
        'jws',
      ]),
    )
    .option('--base-url <url>', 'SMS length: base URL of the links (default UNSUB_BASE_URL)')
    .option('--data <file>', 'SMS length: a JSON object of sample merge fields (else they count as empty)')
    .exitOverride()
    .action(async (files: string[], options: LintOptions) => {
      const groups = options.groups === undefined ? undefined : await loadGroupCatalog(options.groups);
      const target: LintTarget = { channel: options.channel, links: options.links };
      if (options.channel === 'sms') {
        target.baseUrl = options.baseUrl ?? loadConfig().baseUrl;
        if (options.data !== undefined) target.data = await loadSample(options.data);
      }
      const reports: LintReport[] = [];
      for (const file of files) reports.push(...(await lintFile(file, groups, target)));
      const errors = reports.filter((report) => report.severity === 'error').length;
      const warnings = reports.filter((report) => report.severity === 'warning').length;
      if (options.format === 'json') {
        process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
      } else {
        for (const report of reports)
          process.stdout.write(`${formatProblem(report.file, report, report.severity)}\n`);
        const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
        process.stderr.write(
          errors + warnings === 0
            ? `${plural(files.length, 'template')} OK\n`
            : `${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(files.length, 'template')}\n`,
        );
      }
      if (errors > 0) process.exitCode = 1;
    });
}
