/**
 * @module `unsub lint TEMPLATE…`: checks templates (tags, groups, Handlebars syntax, a missing
 * unsubscribe link) and prints `FILE:LINE:COL CODE message` per problem; exit 1 on any error.
 */
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import {
  compile,
  parseGroupCatalog,
  TemplateError,
  type GroupCatalog,
  type TagError,
} from '../template/index.js';

/** One line of lint output: `FILE:LINE:COL CODE message`, warnings marked, the hint in parentheses. */
export function formatProblem(
  file: string,
  problem: Pick<TagError, 'line' | 'column' | 'message' | 'hint'> & { code: string },
  severity: 'error' | 'warning',
): string {
  const hint = problem.hint === undefined ? '' : ` (${problem.hint})`;
  const marker = severity === 'warning' ? 'warning: ' : '';
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
  severity: 'error' | 'warning';
  message: string;
  hint?: string;
}

/** Lints one file into report entries. */
async function lintFile(file: string, groups: GroupCatalog | undefined): Promise<LintReport[]> {
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
  const result = compile(source.replace(/^\uFEFF/, ''), { groups, requireUnsubscribe: true });
  const entries = [
    ...(result.ok ? [] : result.errors).map((problem) => ({ problem, severity: 'error' as const })),
    ...result.warnings.map((problem) => ({ problem, severity: 'warning' as const })),
  ].sort((a, b) => a.problem.line - b.problem.line || a.problem.column - b.problem.column);
  return entries.map(({ problem, severity }) => ({ file, severity, ...problem }));
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
    .exitOverride()
    .action(async (files: string[], options: { groups?: string; format: 'text' | 'json' }) => {
      const groups = options.groups === undefined ? undefined : await loadGroupCatalog(options.groups);
      const reports: LintReport[] = [];
      for (const file of files) reports.push(...(await lintFile(file, groups)));
      const errors = reports.filter((report) => report.severity === 'error').length;
      const warnings = reports.length - errors;
      if (options.format === 'json') {
        process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
      } else {
        for (const report of reports)
          process.stdout.write(`${formatProblem(report.file, report, report.severity)}\n`);
        const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
        process.stderr.write(
          reports.length === 0
            ? `${plural(files.length, 'template')} OK\n`
            : `${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(files.length, 'template')}\n`,
        );
      }
      if (errors > 0) process.exitCode = 1;
    });
}
