/**
 * @module The JSON-string variant of a compiled template: the same Handlebars program with its
 * static text JSON-escaped once at compile time and every inserted value escaped as it goes in, so
 * a render gives the body of the JSON string of its HTML (`JSON.stringify(html)` without the
 * quotes) without a second pass over the whole HTML. `unsub render` and the templates API write
 * every row as JSON, and that second pass cost about half as much as the render itself.
 *
 * The variant compiles in an environment of its own whose compilers write each merge field as a
 * plain call of an escaping function (`helpers.unsub_json.html(value, data)`) where Handlebars
 * writes `escapeExpression(value)`. An earlier variant wrapped every merge field in a helper call;
 * Handlebars makes an options object for each helper call and copies it once more, and that made a
 * render of the example newsletter 1.6 times as dear as the usual one.
 *
 * Escaping the pieces gives the escaping of the whole, with one exception: a surrogate pair split
 * between two pieces (JSON keeps a pair, but escapes a lone half). Static text that would split
 * one gets no variant at all; a value that might is flagged (`JsonBodyState.fallback`), and the caller
 * renders again the usual way. The variant is for data that `JSON.parse` (or a CSV reader) makes:
 * functions in the data (Handlebars lambdas) are resolved as Handlebars resolves them.
 */
import Handlebars from 'handlebars';
import type { LinkHelperState } from './templateProgram.js';

/** The state a JSON-body render reads: the links, and whether the render must be done the usual way. */
export interface JsonBodyState extends LinkHelperState {
  fallback: boolean;
}

/** Where the escaping functions are registered (an object, so Handlebars never calls it as a helper). */
export const jsonHelperName = 'unsub_json';

/** Characters JSON.stringify escapes in a string (and the surrogates, which it escapes when alone). */
// eslint-disable-next-line no-control-regex -- the control characters are what JSON escapes
const jsonSpecial = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(text)` without its quotes. */
function jsonEscape(text: string): string {
  return jsonSpecial.test(text) ? JSON.stringify(text).slice(1, -1) : text;
}

/** `JSON.stringify(text)` of a string, without the generic walk when nothing in it needs escaping. */
export function jsonString(text: string): string {
  return jsonSpecial.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** True when `text` starts with a low surrogate or ends with a high one (half of a pair at an edge). */
function splitsPair(text: string): boolean {
  if (text.length === 0) return false;
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  return (first >= 0xdc00 && first <= 0xdfff) || (last >= 0xd800 && last <= 0xdbff);
}

/** Handlebars' `@data` as the escaping functions get it: the render's state is under `unsub`. */
interface RenderData {
  unsub: JsonBodyState;
}

/** A value's text as it goes into the JSON string; a half pair at its edge flags the render. */
function escapedText(text: string, data: RenderData): string {
  if (!jsonSpecial.test(text)) return text;
  if (splitsPair(text)) data.unsub.fallback = true;
  return JSON.stringify(text).slice(1, -1);
}

/** What the generated code calls, by mustache: `{{x}}`, `{{{x}}}` (and text formats), and a leading `{{{x}}}`. */
const escapers = {
  html: (value: unknown, data: RenderData): string =>
    escapedText(String(Handlebars.Utils.escapeExpression(value as string)), data),
  text: (value: unknown, data: RenderData): string => (value == null ? '' : escapedText(`${value}`, data)),
  /**
   * The output opens its program (nothing but merge fields before it) and no text follows it there.
   * Handlebars joins a program's outputs with `+` and no string in front, so unescaped numbers or
   * booleans there are added, not joined (`{{{a}}}{{{b}}}` with 1 and 2 writes `3`), and a program of
   * one output returns the value itself (to the block, and from it to where the block is): the
   * variant leaves those to the usual render. Followed by text (`{{{points}}} points`), or after text
   * (`points: {{#if p}}{{{p}}}{{/if}}`), the `+` joins strings, as here.
   */
  leading: (value: unknown, data: RenderData): string => {
    if (typeof value !== 'string' && value != null) data.unsub.fallback = true;
    return escapers.text(value, data);
  },
};
type Escaper = keyof typeof escapers;

type Statement = hbs.AST.Statement;

/** A mustache the variant's compiler writes through one of the escapers. */
type JsonMustache = hbs.AST.MustacheStatement & { unsubLeading?: true };

class Unsupported extends Error {}

const noStrip = { open: false, close: false };

/**
 * @param risky whether a value other than a string coming out of this program could be added rather
 *   than joined, or end up as the render's result (true for the template itself).
 */
function transformProgram(program: hbs.AST.Program, risky: boolean): hbs.AST.Program {
  const isText = (statement: Statement | undefined) =>
    statement?.type === 'ContentStatement' && (statement as hbs.AST.ContentStatement).value !== '';
  let first = true;
  const body = program.body.map((statement, index) => {
    const next = program.body[index + 1];
    // Leading, and not joined to text after it: added to the next output, or the program's result.
    const atRisk = first && !isText(next) && (next !== undefined || risky);
    const transformed = transformStatement(statement, atRisk);
    // After a block, the joined value is a string (a block's program gives one, or was flagged).
    if (statement.type === 'BlockStatement' || isText(statement)) first = false;
    return transformed;
  });
  return { ...program, body };
}

function transformStatement(statement: Statement, atRisk: boolean): Statement {
  switch (statement.type) {
    case 'ContentStatement': {
      const content = statement as hbs.AST.ContentStatement;
      if (splitsPair(content.value)) throw new Unsupported();
      return { ...content, value: jsonEscape(content.value) } as hbs.AST.ContentStatement;
    }
    case 'CommentStatement':
      return statement;
    case 'MustacheStatement':
      return atRisk ? ({ ...statement, unsubLeading: true } as JsonMustache) : statement;
    case 'BlockStatement': {
      // `if`, `with`, `unless` return their program's value as it is: it is at risk where the block is.
      const block = statement as hbs.AST.BlockStatement;
      return {
        ...block,
        program: block.program && transformProgram(block.program, atRisk),
        inverse: block.inverse && transformProgram(block.inverse, atRisk),
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

/** The parts of Handlebars' compilers the variant's compilers change (not in Handlebars' types). */
interface CompilerEnvironment {
  Compiler: new () => object;
  JavaScriptCompiler: new () => object;
}
interface OpcodeCompiler {
  options: { noEscape?: boolean };
  SubExpression(mustache: hbs.AST.MustacheStatement): void;
  opcode(name: string, ...args: unknown[]): void;
}
interface SourceCompiler {
  pushSource(source: unknown): void;
  appendToBuffer(source: unknown[]): unknown;
  aliasable(name: string): unknown;
  popStack(): unknown;
}

/**
 * Makes `env` (made for the variant alone) compile the variant: a mustache becomes the opcode
 * `appendJson` with its escaper (blocks still append their programs' output, which is escaped
 * already), and that opcode is written as a call of the escaper with the value and `data`.
 */
export function jsonEnvironment(env: typeof Handlebars): typeof Handlebars {
  const handlebars = env as unknown as CompilerEnvironment;
  const BaseCompiler = handlebars.Compiler;
  const BaseJavaScriptCompiler = handlebars.JavaScriptCompiler;
  class JsonCompiler extends BaseCompiler {
    MustacheStatement(this: OpcodeCompiler, mustache: JsonMustache): void {
      this.SubExpression(mustache);
      const escaper: Escaper =
        mustache.escaped && !this.options.noEscape ? 'html' : mustache.unsubLeading ? 'leading' : 'text';
      this.opcode('appendJson', escaper);
    }
  }
  class JsonJavaScriptCompiler extends BaseJavaScriptCompiler {
    appendJson(this: SourceCompiler, escaper: Escaper): void {
      const call = [this.aliasable(`helpers.${jsonHelperName}.${escaper}`), '(', this.popStack(), ', data)'];
      this.pushSource(this.appendToBuffer(call));
    }
  }
  // Child programs are compiled by `new this.compiler()`.
  Object.assign(JsonCompiler.prototype, { compiler: JsonCompiler });
  Object.assign(JsonJavaScriptCompiler.prototype, { compiler: JsonJavaScriptCompiler });
  handlebars.Compiler = JsonCompiler;
  handlebars.JavaScriptCompiler = JsonJavaScriptCompiler;
  // An object, not a function: Handlebars neither wraps it nor lets a template call it as a helper.
  env.registerHelper(jsonHelperName, escapers as unknown as Handlebars.HelperDelegate);
  return env;
}

/**
 * The JSON variant of a rewritten template source (parsed and whitespace-processed as Handlebars
 * does, static text escaped), for an environment made by `jsonEnvironment`; or undefined when the
 * template has something the variant cannot carry: then callers use `JSON.stringify` of the HTML.
 */
export function jsonBodyProgram(rewritten: string): hbs.AST.Program | undefined {
  try {
    return transformProgram(Handlebars.parse(rewritten), true);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}
