/**
 * @module The JSON-string variant of a compiled template: the same Handlebars program with its
 * static text JSON-escaped once at compile time and every inserted value escaped as it goes in, so
 * a render gives the body of the JSON string of its HTML (`JSON.stringify(html)` without the
 * quotes) without a second pass over the whole HTML. `unsub render` and the templates API write
 * every row as JSON, and that second pass cost about half as much as the render itself.
 *
 * Escaping the pieces gives the escaping of the whole, with one exception: a surrogate pair split
 * between two pieces (JSON keeps a pair, but escapes a lone half). Static text that would split
 * one gets no variant at all; a value that might is flagged (`JsonBodyState.fallback`), and the caller
 * renders again the usual way. The variant is for data that `JSON.parse` (or a CSV reader) makes:
 * functions in the data (Handlebars lambdas) are not supported.
 */
import Handlebars from 'handlebars';
import type { LinkHelperState } from './templateProgram.js';
import { linkHelperName } from './rewriteTags.js';

/** The state a JSON-body render reads: the links, and whether the render must be done the usual way. */
export interface JsonBodyState extends LinkHelperState {
  fallback: boolean;
}

/** The helper every output goes through in the JSON variant. */
export const jsonHelperName = 'unsub_json';

/** Mode bits of the helper's second argument. */
const escapeHtml = 1;
const resolveLambda = 2;
/**
 * The output opens its program (nothing but merge fields before it) and no text follows it there.
 * Handlebars joins a program's outputs with `+` and no string in front, so unescaped numbers or
 * booleans there are added, not joined (`{{{a}}}{{{b}}}` with 1 and 2 writes `3`), and a program of
 * one output returns the value itself (to the block, and from it to where the block is): the
 * variant leaves those to the usual render. Followed by text (`{{{points}}} points`), or after text
 * (`points: {{#if p}}{{{p}}}{{/if}}`), the `+` joins strings, as here.
 */
const leading = 4;

/** Characters JSON.stringify escapes in a string (and the surrogates, which it escapes when alone). */
// eslint-disable-next-line no-control-regex -- the control characters are what JSON escapes
const jsonSpecial = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(text)` without its quotes. */
function jsonEscape(text: string): string {
  return jsonSpecial.test(text) ? JSON.stringify(text).slice(1, -1) : text;
}

/** True when `text` starts with a low surrogate or ends with a high one (half of a pair at an edge). */
function splitsPair(text: string): boolean {
  if (text.length === 0) return false;
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  return (first >= 0xdc00 && first <= 0xdfff) || (last >= 0xd800 && last <= 0xdbff);
}

/** Names a mustache without arguments may not be (Handlebars would call them as helpers). */
const helperNames = new Set([
  'if',
  'unless',
  'with',
  'each',
  'lookup',
  'log',
  'helperMissing',
  'blockHelperMissing',
  linkHelperName,
  jsonHelperName,
]);

type Statement = hbs.AST.Statement;

class Unsupported extends Error {}

const noStrip = { open: false, close: false };

/** The helper call that outputs what `mustache` output, JSON-escaped. */
function wrapMustache(
  mustache: hbs.AST.MustacheStatement,
  escapeAll: boolean,
  first: boolean,
): hbs.AST.MustacheStatement {
  const { path, params, hash, loc } = mustache;
  const call = params.length > 0 || (hash !== undefined && hash.pairs.length > 0);
  let value: hbs.AST.Expression;
  if (call) {
    value = { type: 'SubExpression', path, params, hash, loc } as hbs.AST.SubExpression;
  } else {
    // A bare path is a lookup (a literal or a helper's name would mean something else: keep those out).
    if (path.type !== 'PathExpression') throw new Unsupported();
    const bare = path as hbs.AST.PathExpression;
    if (bare.parts.length === 1 && !bare.data && helperNames.has(bare.parts[0]!)) throw new Unsupported();
    value = path;
  }
  const mode =
    (mustache.escaped && escapeAll ? escapeHtml : 0) | (call ? 0 : resolveLambda) | (first ? leading : 0);
  const modeLiteral = { type: 'NumberLiteral', value: mode, original: mode, loc } as hbs.AST.NumberLiteral;
  return {
    type: 'MustacheStatement',
    path: {
      type: 'PathExpression',
      data: false,
      depth: 0,
      parts: [jsonHelperName],
      original: jsonHelperName,
      loc,
    },
    params: [value, modeLiteral],
    hash: undefined as unknown as hbs.AST.Hash,
    escaped: false,
    strip: noStrip,
    loc,
  } as hbs.AST.MustacheStatement;
}

/**
 * @param risky whether a value other than a string coming out of this program could be added rather
 *   than joined, or end up as the render's result (true for the template itself).
 */
function transformProgram(program: hbs.AST.Program, escapeAll: boolean, risky: boolean): hbs.AST.Program {
  const isText = (statement: Statement | undefined) =>
    statement?.type === 'ContentStatement' && (statement as hbs.AST.ContentStatement).value !== '';
  let first = true;
  const body = program.body.map((statement, index) => {
    const next = program.body[index + 1];
    // Leading, and not joined to text after it: added to the next output, or the program's result.
    const atRisk = first && !isText(next) && (next !== undefined || risky);
    const transformed = transformStatement(statement, escapeAll, atRisk);
    // After a block, the joined value is a string (a block's program gives one, or was flagged).
    if (statement.type === 'BlockStatement' || isText(statement)) first = false;
    return transformed;
  });
  return { ...program, body };
}

function transformStatement(statement: Statement, escapeAll: boolean, atRisk: boolean): Statement {
  switch (statement.type) {
    case 'ContentStatement': {
      const content = statement as hbs.AST.ContentStatement;
      if (splitsPair(content.value)) throw new Unsupported();
      return { ...content, value: jsonEscape(content.value) } as hbs.AST.ContentStatement;
    }
    case 'CommentStatement':
      return statement;
    case 'MustacheStatement':
      return wrapMustache(statement as hbs.AST.MustacheStatement, escapeAll, atRisk);
    case 'BlockStatement': {
      // `if`, `with`, `unless` return their program's value as it is: it is at risk where the block is.
      const block = statement as hbs.AST.BlockStatement;
      return {
        ...block,
        program: block.program && transformProgram(block.program, escapeAll, atRisk),
        inverse: block.inverse && transformProgram(block.inverse, escapeAll, atRisk),
        openStrip: noStrip,
        inverseStrip: noStrip,
        closeStrip: noStrip,
      } as hbs.AST.BlockStatement;
    }
    default:
      // Partials and decorators are refused by checkHandlebars; anything else is not understood here.
      throw new Unsupported();
  }
}

function fallBack(options: Handlebars.HelperOptions): void {
  (options.data as { unsub: JsonBodyState }).unsub.fallback = true;
}

/** Registers the JSON variant's helper on a template's Handlebars environment. */
export function registerJsonHelper(env: typeof Handlebars): void {
  env.registerHelper(
    jsonHelperName,
    function (this: unknown, value: unknown, mode: number, options: Handlebars.HelperOptions) {
      let current = value;
      // What Handlebars does for a bare `{{name}}`: a function found there is called on the context.
      if (mode & resolveLambda && typeof current === 'function')
        current = (current as () => unknown).call(this);
      // Then what the mustache would have written: escaped, or as it is (`{{{…}}}`, text formats).
      let text: string;
      if (mode & escapeHtml) text = String(Handlebars.Utils.escapeExpression(current as string));
      else {
        if (mode & leading && typeof current !== 'string' && current != null) fallBack(options);
        text = `${current ?? ''}`;
      }
      if (!jsonSpecial.test(text)) return text;
      if (splitsPair(text)) fallBack(options);
      return JSON.stringify(text).slice(1, -1);
    },
  );
}

/**
 * The JSON variant of a rewritten template source (parsed and whitespace-processed as Handlebars
 * does, then every piece of output escaped), or undefined when the template has something the
 * variant cannot carry; then callers use `JSON.stringify` of the HTML.
 * @param escapeAll false when merge fields go in unescaped (`noEscape`: text parts, SMS).
 */
export function jsonBodyProgram(rewritten: string, escapeAll: boolean): hbs.AST.Program | undefined {
  try {
    return transformProgram(Handlebars.parse(rewritten), escapeAll, true);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}
