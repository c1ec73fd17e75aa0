/**
 * @module `compile`: template source → a `CompiledTemplate` (a Handlebars function plus the link
 * slot table), or every problem found with its line and column. Compile once, render many.
 */
import { parseTemplate, type TagError, type TagNode } from '../../grammar/index.js';
import type { Channel } from '../links/index.js';
import { checkHandlebars } from './checkHandlebars.js';
import { GroupResolver, type GroupCatalog } from './groupCatalog.js';
import { buildSlotTable } from './linkSlots.js';
import { rewriteTags } from './rewriteTags.js';
import {
  createEnvironment,
  linkFormFor,
  templateFromSpec,
  type CompiledTemplate,
  type LinkForm,
} from './templateProgram.js';

export {
  linkFormFor,
  type CompiledTemplate,
  type LinkForm,
  type LinkHelperState,
  type TemplateSpec,
} from './templateProgram.js';

/** Options of `compile`. */
export interface CompileOptions {
  /** Groups that tags may name (by system or display name). Without it only numeric ids resolve. */
  groups?: GroupCatalog;
  /**
   * Report a template without any unsubscribe link as the error `missing_unsubscribe` (lint does;
   * bulk mail must carry one). Otherwise it compiles, and only the List-Unsubscribe header links.
   */
  requireUnsubscribe?: boolean;
  /** Channel the template is sent on; `sms` implies compact links (`links: 'compact'`). */
  channel?: Channel;
  /**
   * The form its links will take (default `compact` for `channel: 'sms'`, else `jws`). With
   * `compact`, tags a compact link cannot carry (`UnsubscribeRedirect`, more than three groups)
   * are errors, so a template that compiles always renders.
   */
  links?: LinkForm;
  /**
   * `html` (default) HTML-escapes merge fields; `text` inserts them as they are, for plain-text
   * parts and subjects (escaping there would show `&amp;` to the reader).
   */
  format?: 'html' | 'text';
}

/** What `compile` returns: never throws for a bad template. */
export type CompileResult =
  | { ok: true; template: CompiledTemplate; warnings: TagError[] }
  | { ok: false; errors: TagError[]; warnings: TagError[] };

const byPosition = (a: TagError, b: TagError) => a.line - b.line || a.column - b.column;

/**
 * Compiles a template: tags become calls of the link helper (so they work inside `{{#if}}`,
 * `{{#each}}` and attributes), group names resolve through `options.groups`, and the Handlebars
 * syntax is checked. Merge fields are HTML-escaped as Handlebars does.
 * @throws TypeError only for a programmer error (source not a string).
 */
export function compile(source: string, options: CompileOptions = {}): CompileResult {
  const parsed = parseTemplate(source);
  const tags = parsed.ast.nodes.filter((node): node is TagNode => node.kind === 'tag');
  const table = buildSlotTable(tags, new GroupResolver(options.groups), options.groups, {
    compact: linkFormFor(options.channel, options.links) === 'compact',
    ...(options.channel === undefined ? {} : { channel: options.channel }),
  });
  const errors = [...parsed.errors, ...table.errors];
  const warnings = [...parsed.warnings, ...table.warnings];
  const env = createEnvironment();
  let rewritten = source;
  if (parsed.errors.length === 0) {
    rewritten = rewriteTags(
      source,
      tags.map((tag, index) => ({
        start: tag.start,
        end: tag.end,
        slot: Math.max(0, table.tagSlots[index]!),
      })),
    );
    const check = checkHandlebars(env, rewritten);
    errors.push(...check.errors);
    warnings.push(...check.warnings);
    if (check.anyLink && !check.unconditionalLink) {
      warnings.push({
        code: 'conditional_unsubscribe',
        message: 'every unsubscribe link is inside a {{#…}} block, so some recipients may get none',
        line: tags[0]!.position.line,
        column: tags[0]!.position.column,
        hint: 'put one link outside all blocks (the List-Unsubscribe header is always sent)',
      });
    }
  }
  if (tags.length === 0 && parsed.errors.length === 0) {
    const missing: TagError = {
      code: 'missing_unsubscribe',
      message: 'the template has no unsubscribe link',
      line: 1,
      column: 1,
      hint: 'add <<link_unsubscribe>> or <<link_unsubscribe_manager>>; bulk mail must carry one',
    };
    (options.requireUnsubscribe ? errors : warnings).push(missing);
  }
  errors.sort(byPosition);
  warnings.sort(byPosition);
  if (errors.length > 0) return { ok: false, errors, warnings };

  // An SMS is plain text, like a text part: merge fields go in as written (`Tom & Jerry`).
  const built = templateFromSpec(
    {
      source,
      rewritten,
      noEscape: options.format === 'text' || options.channel === 'sms',
      slots: table.slots,
      headerSlot: table.headerSlot,
      tags,
      warnings,
    },
    env,
  );
  if ('error' in built) {
    return {
      ok: false,
      errors: [{ code: 'handlebars_syntax', message: `Handlebars: ${built.error}`, line: 1, column: 1 }],
      warnings,
    };
  }
  const { template } = built;
  return { ok: true, template, warnings };
}
