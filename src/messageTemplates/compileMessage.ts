/**
 * @module `compileMessage`: a message template's parts → compiled engine templates (subject, HTML,
 * text), or every problem found, each with its part, line and column. This is lint: the same checks
 * run on `POST /api/templates/lint`, on every save (a template with errors is never stored) and on
 * an inline template in `POST /api/render`.
 *
 * Rules beyond the engine's: the subject takes merge fields only (`tag_in_subject`); an e-mail HTML
 * part must carry an unsubscribe link (`missing_unsubscribe`, bulk mail); so must a hand-written
 * text part (without one the text-only reader has no way out).
 */
import {
  compile,
  measureSmsTemplate,
  type CompiledTemplate,
  type SmsLength,
  type GroupCatalog,
  type TagError,
} from '../template/index.js';
import type { Channel } from '../store/index.js';
import { htmlToTextTemplate } from './htmlToTextTemplate.js';
import type { TemplateParts } from './templateContent.js';

/** The part of a template a problem is in. */
export type TemplatePart = 'subject' | 'html' | 'text';

/** One lint problem: a stable code, a message, where (1-based line and column) and in which part. */
export interface LintProblem {
  code: string;
  message: string;
  line: number;
  column: number;
  part: TemplatePart;
  hint?: string;
}

/** A compiled message template: what `renderMessage` needs. Immutable. */
export interface CompiledMessage {
  channel: Channel;
  /** Merge fields only (e-mail); undefined for SMS. */
  subject: CompiledTemplate | undefined;
  html: CompiledTemplate | undefined;
  /** The text template: hand-written, or made from the HTML once; undefined → convert each render. */
  text: CompiledTemplate | undefined;
  /** Where the text part comes from. */
  textSource: 'hand-written' | 'generated' | 'generated-per-render';
  warnings: readonly LintProblem[];
  /**
   * What it was compiled from: `compileMessage(parts, groups)` compiles the same message again
   * (a render thread does, since compiled Handlebars code cannot cross threads).
   */
  source: { readonly parts: Readonly<TemplateParts>; readonly groups: GroupCatalog | undefined };
}

/** What `compileMessage` returns; never throws for a bad template. */
export type CompileMessageResult = (
  | { ok: true; message: CompiledMessage; warnings: LintProblem[] }
  | { ok: false; errors: LintProblem[]; warnings: LintProblem[] }
) & {
  /** An SMS template's text as rendered (links as compact links): its length and segments. */
  sms?: SmsLength;
};

const inPart =
  (part: TemplatePart) =>
  (problem: TagError): LintProblem => {
    const entry: LintProblem = {
      code: problem.code,
      message: problem.message,
      line: problem.line,
      column: problem.column,
      part,
    };
    if (problem.hint !== undefined) entry.hint = problem.hint;
    return entry;
  };

/** Compiles the subject: merge fields only; every tag is `tag_in_subject`. */
function compileSubject(source: string, errors: LintProblem[], warnings: LintProblem[]) {
  const result = compile(source, { format: 'text' });
  const subject = inPart('subject');
  warnings.push(...result.warnings.filter((w) => w.code !== 'missing_unsubscribe').map(subject));
  if (!result.ok) {
    errors.push(...result.errors.map(subject));
    return undefined;
  }
  if (result.template.tags.length > 0) {
    for (const tag of result.template.tags) {
      errors.push({
        code: 'tag_in_subject',
        message: 'unsubscribe links cannot go into the subject line',
        line: tag.position.line,
        column: tag.position.column,
        part: 'subject',
        hint: 'put the tag into the HTML (and text) part',
      });
    }
    return undefined;
  }
  return result.template;
}

/**
 * Checks and compiles every part of a template. `groups` resolves group names in tags (the store's
 * groups; without it only numeric group ids resolve). An e-mail template's missing text part is
 * generated from its HTML.
 */
export function compileMessage(
  parts: TemplateParts,
  groups: GroupCatalog | undefined,
  sms: { baseUrl: string } = { baseUrl: 'https://u.example.com' },
): CompileMessageResult {
  const errors: LintProblem[] = [];
  const warnings: LintProblem[] = [];
  const email = parts.channel === 'email';

  const subject = email ? compileSubject(parts.subject ?? '', errors, warnings) : undefined;

  let html: CompiledTemplate | undefined;
  if (email) {
    const result = compile(parts.html ?? '', { groups, requireUnsubscribe: true });
    warnings.push(...result.warnings.map(inPart('html')));
    if (result.ok) html = result.template;
    else errors.push(...result.errors.map(inPart('html')));
  }

  let text: CompiledTemplate | undefined;
  let smsLength: SmsLength | undefined;
  let textSource: CompiledMessage['textSource'] = 'hand-written';
  if (typeof parts.text === 'string') {
    // An SMS text gets compact links (and their checks: no redirect, at most three groups).
    const result = compile(parts.text, {
      groups,
      format: 'text',
      requireUnsubscribe: email,
      ...(email ? {} : { channel: 'sms' as const }),
    });
    warnings.push(...result.warnings.map(inPart('text')));
    if (result.ok) text = result.template;
    else errors.push(...result.errors.map(inPart('text')));
    // Above one SMS segment the sender pays more: a warning with the rendered length.
    if (!email && result.ok) {
      const { warning, text: _text, ...length } = measureSmsTemplate(result.template, sms);
      smsLength = length;
      if (warning) warnings.push(inPart('text')(warning));
    }
  } else if (html !== undefined) {
    const generated = compile(htmlToTextTemplate(html.source), { groups, format: 'text' });
    textSource = generated.ok ? 'generated' : 'generated-per-render';
    if (generated.ok) text = generated.template;
  }

  const byPlace = (a: LintProblem, b: LintProblem) =>
    order[a.part] - order[b.part] || a.line - b.line || a.column - b.column;
  errors.sort(byPlace);
  warnings.sort(byPlace);
  const measured = smsLength ? { sms: smsLength } : {};
  if (errors.length > 0) return { ok: false, errors, warnings, ...measured };
  const message: CompiledMessage = Object.freeze({
    channel: parts.channel,
    subject,
    html,
    text,
    textSource,
    warnings: Object.freeze(warnings),
    source: Object.freeze({
      parts: Object.freeze({
        channel: parts.channel,
        subject: parts.subject,
        html: parts.html,
        text: parts.text,
      }),
      groups,
    }),
  });
  return { ok: true, message, warnings, ...measured };
}

const order: Record<TemplatePart, number> = { subject: 0, html: 1, text: 2 };
