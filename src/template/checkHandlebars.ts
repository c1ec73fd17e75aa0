/**
 * @module Checks of the Handlebars side of a template (after tags became helper calls): its syntax,
 * with Handlebars' own error position, and a walk of its AST for what would only fail or misbehave
 * at send time (partials, built-in blocks without their argument, tag names used as merge fields,
 * unsubscribe links that only some recipients get).
 */
import type Handlebars from 'handlebars';
import { closestMatch, tagNames, type TagError } from '../../grammar/index.js';
import { linkHelperName } from './rewriteTags.js';

type Node = hbs.AST.Node & { loc?: hbs.AST.SourceLocation };

/** What the checks found. */
export interface HandlebarsCheck {
  errors: TagError[];
  warnings: TagError[];
  /** True when at least one unsubscribe link is outside every block (so every recipient gets it). */
  unconditionalLink: boolean;
  /** True when the template has any unsubscribe link at all. */
  anyLink: boolean;
}

const knownTagNames = Object.keys(tagNames);
const oneArgumentBlocks = new Set(['if', 'unless', 'with', 'each']);
/** Helpers a template may call with arguments: Handlebars' built-ins (not `log`) and the link helper. */
const callableHelpers = new Set(['if', 'unless', 'with', 'each', 'lookup', linkHelperName]);
/** Handlebars' internal and logging helpers: never callable from a template, not even bare. */
const reservedNames = new Set(['helperMissing', 'blockHelperMissing', 'log']);

function at(node: Node | undefined, code: TagError['code'], message: string, hint?: string): TagError {
  const error: TagError = {
    code,
    message,
    line: node?.loc?.start.line ?? 1,
    column: (node?.loc?.start.column ?? 0) + 1,
  };
  if (hint !== undefined) error.hint = hint;
  return error;
}

/** Turns a Handlebars parse failure into a `handlebars_syntax` error at its line and column. */
function syntaxError(env: typeof Handlebars, error: unknown): TagError {
  const failure = error as Error & { lineNumber?: number; column?: number };
  const text = String(failure?.message ?? error);
  if (typeof failure.lineNumber === 'number') {
    // Handlebars' own exceptions ("if doesn't match each - 2:3") carry their position.
    return {
      code: 'handlebars_syntax',
      message: `Handlebars: ${text.replace(/ - \d+:\d+$/, '')}`,
      line: failure.lineNumber,
      column: (failure.column ?? 0) + 1,
    };
  }
  // Parser (jison) errors: the shared lexer still holds the offending token's location. Parsing is
  // synchronous, so nothing else can have used it since.
  const where = (
    env as unknown as { Parser?: { lexer?: { yylloc?: { first_line: number; first_column: number } } } }
  ).Parser?.lexer?.yylloc;
  const detail = text.split('\n').at(-1) ?? text;
  let message = `Handlebars: ${detail.replace(/'/g, '')}`;
  if (/got 'EOF'/.test(detail) && /OPEN_ENDBLOCK/.test(detail))
    message = 'Handlebars: a {{#block}} is never closed with {{/block}}';
  else if (/got 'OPEN_ENDBLOCK'/.test(detail))
    message = 'Handlebars: {{/…}} closes a block that was never opened';
  else if (/^Lexical error/.test(text)) message = 'Handlebars: unterminated comment or expression';
  return {
    code: 'handlebars_syntax',
    message,
    line: where?.first_line ?? 1,
    column: (where?.first_column ?? 0) + 1,
  };
}

/** Parses `source` (tags already rewritten) with `env` and walks its AST. */
export function checkHandlebars(env: typeof Handlebars, source: string): HandlebarsCheck {
  const check: HandlebarsCheck = { errors: [], warnings: [], unconditionalLink: false, anyLink: false };
  let program: hbs.AST.Program;
  try {
    program = env.parse(source);
  } catch (error) {
    check.errors.push(syntaxError(env, error));
    return check;
  }

  const checkPath = (node: Node, path: hbs.AST.Expression) => {
    if (path.type !== 'PathExpression') return;
    const original = (path as hbs.AST.PathExpression).original;
    if (original === linkHelperName) return;
    if (Object.hasOwn(tagNames, original)) {
      check.errors.push(
        at(node, 'tag_syntax', `${original} is a tag, not a Handlebars helper`, `write <<${original}>>`),
      );
      return;
    }
    const near =
      (path as hbs.AST.PathExpression).parts.length === 1 ? closestMatch(original, knownTagNames) : undefined;
    if (near !== undefined) {
      check.warnings.push(
        at(
          node,
          'suspicious_merge_field',
          `{{${original}}} is a merge field, not an unsubscribe link; did you mean <<${near}${near.startsWith('Unsub') ? '(…)' : ''}>>?`,
        ),
      );
    }
  };

  /**
   * A call with arguments (`{{name arg}}`, `{{#name arg}}`, `(name arg)`) of anything but a built-in
   * would be a helper looked up when the template runs: refused, so templates can only read data.
   */
  const checkCall = (
    node: Node,
    call: { path: hbs.AST.Expression; params: hbs.AST.Expression[]; hash?: hbs.AST.Hash },
  ) => {
    const name = call.path.type === 'PathExpression' ? (call.path as hbs.AST.PathExpression).original : '';
    const hasArguments = call.params.length > 0 || (call.hash?.pairs.length ?? 0) > 0;
    if (reservedNames.has(name)) {
      check.errors.push(
        at(node, 'handlebars_syntax', `Handlebars: ${name} is not available in unsub templates`),
      );
      return;
    }
    if (hasArguments && !callableHelpers.has(name) && !Object.hasOwn(tagNames, name)) {
      check.errors.push(
        at(
          node,
          'handlebars_syntax',
          `Handlebars: ${name || 'this'} is not a helper; only if, unless, with, each and lookup take arguments`,
          name === 'log' ? 'remove the {{log}} call' : undefined,
        ),
      );
    }
    for (const param of [...call.params, ...(call.hash?.pairs.map((pair) => pair.value) ?? [])]) {
      if (param.type === 'SubExpression') checkCall(param as Node, param as hbs.AST.SubExpression);
    }
  };

  const walk = (body: hbs.AST.Statement[], depth: number) => {
    for (const statement of body as Node[]) {
      switch (statement.type) {
        case 'MustacheStatement': {
          const mustache = statement as hbs.AST.MustacheStatement;
          if ((mustache.path as hbs.AST.PathExpression).original === linkHelperName) {
            check.anyLink = true;
            if (depth === 0) check.unconditionalLink = true;
          } else {
            checkPath(statement, mustache.path);
            checkCall(statement, mustache);
            const name = (mustache.path as hbs.AST.PathExpression).original;
            if (oneArgumentBlocks.has(name) && mustache.params.length !== 1) {
              check.errors.push(
                at(statement, 'handlebars_syntax', `Handlebars: {{${name}}} needs exactly one argument`),
              );
            }
          }
          break;
        }
        case 'BlockStatement': {
          const block = statement as hbs.AST.BlockStatement;
          const name =
            block.path.type === 'PathExpression' ? (block.path as hbs.AST.PathExpression).original : '';
          checkPath(statement, block.path);
          checkCall(statement, block);
          if (oneArgumentBlocks.has(name) && block.params.length !== 1) {
            check.errors.push(
              at(statement, 'handlebars_syntax', `Handlebars: {{#${name}}} needs exactly one argument`),
            );
          }
          walk(block.program.body, depth + 1);
          if (block.inverse) walk(block.inverse.body, depth + 1);
          break;
        }
        case 'PartialStatement':
        case 'PartialBlockStatement':
          check.errors.push(
            at(
              statement,
              'handlebars_syntax',
              'Handlebars: partials ({{> …}}) are not available in unsub templates',
            ),
          );
          break;
        case 'DecoratorBlock':
        case 'Decorator':
          check.errors.push(
            at(statement, 'handlebars_syntax', 'Handlebars: decorators ({{* …}}) are not supported'),
          );
          break;
        default:
          break;
      }
    }
  };
  walk(program.body, 0);
  return check;
}
