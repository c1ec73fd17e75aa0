/**
 * @module `compile`: template source → a `CompiledTemplate` (a Handlebars function plus the link
 * slot table), or every problem found with its line and column. Compile once, render many.
 */
import Handlebars from 'handlebars';
import { parseTemplate, type TagError, type TagNode } from '../../grammar/index.js';
import type { Channel } from '../links/index.js';
import { checkHandlebars } from './checkHandlebars.js';
import { jsonBodyProgram, jsonHelperName, registerJsonHelper, type JsonBodyState } from './jsonBody.js';
import { GroupResolver, type GroupCatalog } from './groupCatalog.js';
import { buildSlotTable, type LinkSlot } from './linkSlots.js';
import { linkHelperName, rewriteTags } from './rewriteTags.js';

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

/** How links are written: a JWS under `/u/`, `/m/`, or a compact code under `/s/` (SMS). */
export type LinkForm = 'jws' | 'compact';

/** The link form for a channel unless one is given: compact for SMS, JWS otherwise. */
export function linkFormFor(channel: Channel | undefined, links: LinkForm | undefined): LinkForm {
  return links ?? (channel === 'sms' ? 'compact' : 'jws');
}

/** The per-render state the link helper reads from Handlebars' `@data` (set by `render`). */
export interface LinkHelperState {
  link(slot: number): string;
}

/** A compiled template. Immutable; safe to render any number of times. */
export interface CompiledTemplate {
  /** The source as given. */
  readonly source: string;
  /** The distinct links the template can produce. */
  readonly slots: readonly LinkSlot[];
  /** The slot whose URL goes into `List-Unsubscribe`. */
  readonly headerSlot: number;
  /** The template's tags in source order. */
  readonly tags: readonly TagNode[];
  /** Problems that did not stop compilation. */
  readonly warnings: readonly TagError[];
  /** @internal Per slot, a key equal for slots that sign the same claims (see `RenderOptions.sharedLinks`). */
  readonly slotKeys: readonly string[];
  /** @internal Renders a context; `render` supplies the link state. */
  readonly run: (context: object, state: LinkHelperState) => string;
  /**
   * @internal Renders a context into `JSON.stringify(html)` without its quotes (see `jsonBody.ts`);
   * undefined when the template cannot have that variant. `state.fallback` set: render again with `run`.
   */
  readonly runJson: ((context: object, state: JsonBodyState) => string) | undefined;
}

/** What `compile` returns: never throws for a bad template. */
export type CompileResult =
  | { ok: true; template: CompiledTemplate; warnings: TagError[] }
  | { ok: false; errors: TagError[]; warnings: TagError[] };

/** Each template gets its own Handlebars environment, so nothing registered elsewhere leaks in. */
function createEnvironment(): typeof Handlebars {
  const env = Handlebars.create();
  // `log` would let a template write to the server's log; `checkHandlebars` refuses it too.
  env.unregisterHelper('log');
  env.registerHelper(linkHelperName, function (slot: unknown, options: Handlebars.HelperOptions) {
    return (options.data as { unsub: LinkHelperState }).unsub.link(slot as number);
  });
  registerJsonHelper(env);
  return env;
}

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

  // knownHelpersOnly: a `{{name}}` is always a lookup in the data, never a helper found at run time;
  // Handlebars' prototype-access protections stay at their defaults (off for every property).
  // An SMS is plain text, like a text part: merge fields go in as written (`Tom & Jerry`).
  const noEscape = options.format === 'text' || options.channel === 'sms';
  const compileOptions = {
    knownHelpers: { [linkHelperName]: true, log: false },
    knownHelpersOnly: true,
    strict: false,
    noEscape,
  };
  const fn = env.compile(rewritten, compileOptions);
  // The JSON variant's AST is already whitespace-processed: standalone lines must not be stripped twice.
  const jsonProgram = jsonBodyProgram(rewritten, !noEscape);
  let jsonFn =
    jsonProgram === undefined
      ? undefined
      : env.compile(jsonProgram, {
          ...compileOptions,
          knownHelpers: { ...compileOptions.knownHelpers, [jsonHelperName]: true },
          ignoreStandalone: true,
        });
  try {
    jsonFn?.({}, { data: { unsub: { link: () => '', fallback: false } } });
  } catch {
    jsonFn = undefined; // renders use JSON.stringify of the HTML instead
  }
  const template: CompiledTemplate = Object.freeze({
    source,
    // Frozen down to the group id arrays: rendered links share them instead of copying.
    slots: Object.freeze(
      table.slots.map((slot) => Object.freeze({ ...slot, groupIds: Object.freeze(slot.groupIds) })),
    ),
    headerSlot: table.headerSlot,
    tags: Object.freeze(tags),
    warnings: Object.freeze(warnings),
    slotKeys: Object.freeze(
      table.slots.map((slot) => `${slot.action}|${slot.groupIds.join(',')}|${slot.redirectUrl ?? ''}`),
    ),
    run: (context: object, state: LinkHelperState) => fn(context, { data: { unsub: state } }),
    runJson:
      jsonFn === undefined
        ? undefined
        : (context: object, state: JsonBodyState) => jsonFn(context, { data: { unsub: state } }),
  });
  // Handlebars compiles lazily on the first call; do it now, so render never pays or fails for it.
  try {
    template.run({}, { link: () => '' });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      errors: [{ code: 'handlebars_syntax', message: `Handlebars: ${message}`, line: 1, column: 1 }],
      warnings,
    };
  }
  return { ok: true, template, warnings };
}
