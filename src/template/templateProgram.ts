/**
 * @module The Handlebars half of a compiled template: from a `TemplateSpec` (the source with its
 * tags already rewritten into link-helper calls, and the link slots: plain data) to a
 * `CompiledTemplate`. `compile` makes the spec with the grammar; a render thread gets the spec from
 * the thread that compiled, and builds the same template without loading the grammar (chevrotain
 * and the lodash-es modules it imports were most of a render thread's start-up).
 */
import Handlebars from 'handlebars';
import type { TagError, TagNode } from '../../grammar/index.js';
import type { Channel } from '../links/index.js';
import { jsonBodyProgram, jsonEnvironment, type JsonBodyState } from './jsonBody.js';
import type { LinkSlot } from './linkSlots.js';
import { linkHelperName } from './rewriteTags.js';

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

/** What a compiled template is built from: plain data, so it can be sent to another thread. */
export interface TemplateSpec {
  /** The source as given. */
  source: string;
  /** The source with its tags rewritten into link-helper calls. */
  rewritten: string;
  /** Merge fields go in as written (text parts, subjects, SMS), not HTML-escaped. */
  noEscape: boolean;
  slots: readonly LinkSlot[];
  headerSlot: number;
  tags: readonly TagNode[];
  warnings: readonly TagError[];
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
  /** @internal What it was built from, for a render thread (`templateFromSpec`). */
  readonly spec: TemplateSpec;
}

/** Each template gets its own Handlebars environment, so nothing registered elsewhere leaks in. */
export function createEnvironment(): typeof Handlebars {
  const env = Handlebars.create();
  // `log` would let a template write to the server's log; `checkHandlebars` refuses it too.
  env.unregisterHelper('log');
  env.registerHelper(linkHelperName, function (slot: unknown, options: Handlebars.HelperOptions) {
    return (options.data as { unsub: LinkHelperState }).unsub.link(slot as number);
  });
  return env;
}

/**
 * Builds the template of a spec (in `env`, made by `createEnvironment`), compiling the Handlebars
 * programs now so that render never pays or fails for it.
 * @returns the template, or the message of the Handlebars error that stopped it.
 */
export function templateFromSpec(
  spec: TemplateSpec,
  env: typeof Handlebars = createEnvironment(),
): { template: CompiledTemplate } | { error: string } {
  // knownHelpersOnly: a `{{name}}` is always a lookup in the data, never a helper found at run time;
  // Handlebars' prototype-access protections stay at their defaults (off for every property).
  const compileOptions = {
    knownHelpers: { [linkHelperName]: true, log: false },
    knownHelpersOnly: true,
    strict: false,
    noEscape: spec.noEscape,
  };
  const fn = env.compile(spec.rewritten, compileOptions);
  // The JSON variant's AST is already whitespace-processed: standalone lines must not be stripped twice.
  const jsonProgram = jsonBodyProgram(spec.rewritten);
  let jsonFn =
    jsonProgram === undefined
      ? undefined
      : jsonEnvironment(createEnvironment()).compile(jsonProgram, {
          ...compileOptions,
          ignoreStandalone: true,
        });
  try {
    jsonFn?.({}, { data: { unsub: { link: () => '', fallback: false } } });
  } catch {
    jsonFn = undefined; // renders use JSON.stringify of the HTML instead
  }
  const template: CompiledTemplate = Object.freeze({
    source: spec.source,
    // Frozen down to the group id arrays: rendered links share them instead of copying.
    slots: Object.freeze(
      spec.slots.map((slot) => Object.freeze({ ...slot, groupIds: Object.freeze(slot.groupIds) })),
    ),
    headerSlot: spec.headerSlot,
    tags: Object.freeze(spec.tags),
    warnings: Object.freeze(spec.warnings),
    slotKeys: Object.freeze(
      spec.slots.map((slot) => `${slot.action}|${slot.groupIds.join(',')}|${slot.redirectUrl ?? ''}`),
    ),
    run: (context: object, state: LinkHelperState) => fn(context, { data: { unsub: state } }),
    runJson:
      jsonFn === undefined
        ? undefined
        : (context: object, state: JsonBodyState) => jsonFn(context, { data: { unsub: state } }),
    spec,
  });
  // Handlebars compiles lazily on the first call; do it now.
  try {
    template.run({}, { link: () => '' });
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
  return { template };
}
