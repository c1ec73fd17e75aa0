/**
 * @module `parseTemplate`: lexes a template, cuts the token stream into text and one token slice
 * per tag, parses and checks each tag on its own, and returns the AST with every problem found.
 * It never throws for any input string.
 */
import type { IToken, TokenType } from 'chevrotain';
import type { ParseResult, TagError, TemplateAst } from './ast.js';
import {
  AngleClose,
  AngleOpen,
  BraceClose,
  BraceOpen,
  Comma,
  Junk,
  LParen,
  Name,
  StringLiteral,
  templateLexer,
  Text,
  TripleClose,
  UnterminatedString,
} from './templateLexer.js';
import { isEndOfInput, parseTagTokens, type TagSyntaxProblem } from './tagParser.js';
import { toTagCall } from './tagCallVisitor.js';
import {
  closerFor,
  isTagName,
  positionOf,
  problemAt,
  unknownTagError,
  validateTagCall,
} from './validateTagCall.js';

/** Tokens after which a tag's slice ends (closers, and the tokens that leave tag mode). */
const tagEnders = new Set<TokenType>([AngleClose, BraceClose, TripleClose, Junk, UnterminatedString]);

function isOpener(token: IToken): boolean {
  // Re-openers carry their opener as a category, so this covers them too.
  const categories = token.tokenType.CATEGORIES ?? [];
  return (
    token.tokenType === AngleOpen ||
    token.tokenType === BraceOpen ||
    categories.includes(AngleOpen) ||
    categories.includes(BraceOpen)
  );
}

/** What should have come after `previous`, in words. */
function expectation(previous: IToken | undefined, closer: string): string {
  switch (previous?.tokenType) {
    case LParen:
      return "a quoted group name or ')'";
    case StringLiteral:
      return "',' or ')'";
    case Comma:
      return "a quoted string or ')'";
    case Name:
      return `'(' or '${closer}'`;
    default:
      return 'a tag name';
  }
}

/** Maps a parser-level problem to the error the user sees. */
function syntaxError(open: IToken, nameToken: IToken | undefined, problem: TagSyntaxProblem): TagError {
  const closer = closerFor(open);
  const { found } = problem;
  // Only words or stray characters where the closer belongs mean the tag ran into ordinary text.
  if (
    isEndOfInput(found) ||
    (problem.rule === 'tagClose' && (found.tokenType === Name || found.tokenType === Junk))
  ) {
    const where = isEndOfInput(found)
      ? ' before the next tag or the end of the template'
      : `; found '${found.image}' at ${found.startLine}:${found.startColumn}`;
    return problemAt(
      positionOf(open),
      'unterminated_tag',
      `tag ${open.image}${nameToken?.image ?? ''} is not closed with '${closer}'${where}`,
      open.image === '<<'
        ? `close it with '>>', or write &lt;&lt; for a literal <<`
        : `close it with '${closer}'`,
    );
  }
  const shown = found.tokenType === StringLiteral ? `string ${found.image}` : `'${found.image}'`;
  let hint: string | undefined;
  if (found.tokenType === Name) hint = `quote group names and URLs: '${found.image}'`;
  else if (problem.rule === 'tagClose' && found.tokenType === StringLiteral) {
    hint = `arguments go in parentheses: ${open.image}${nameToken?.image ?? 'Unsubscribe'}(${found.image})${closer}`;
  }
  return problemAt(
    positionOf(found),
    'tag_syntax',
    `unexpected ${shown} in tag: expected ${expectation(problem.previous, closer)}`,
    hint,
  );
}

/** Parses the tokens of one tag into `result`. */
function parseTag(tokens: IToken[], result: ParseResult): void {
  const open = tokens[0] as IToken;
  const nameToken = tokens[1];
  const unterminated = tokens.find((token) => token.tokenType === UnterminatedString);
  if (nameToken?.tokenType === Name && !isTagName(nameToken.image)) {
    result.errors.push(unknownTagError(nameToken, open));
    return;
  }
  if (unterminated !== undefined) {
    const quote = unterminated.image[0] as string;
    result.errors.push(
      problemAt(
        positionOf(unterminated),
        'unterminated_string',
        'string is not closed before the end of the line',
        `close it with ${quote === '"' ? `'"'` : `"'"`}`,
      ),
    );
    return;
  }
  const parsed = parseTagTokens(tokens);
  if ('problem' in parsed) {
    result.errors.push(
      syntaxError(open, nameToken?.tokenType === Name ? nameToken : undefined, parsed.problem),
    );
    return;
  }
  const checked = validateTagCall(toTagCall(parsed.cst));
  result.errors.push(...checked.errors);
  result.warnings.push(...checked.warnings);
  if (checked.node !== undefined) result.ast.nodes.push(checked.node);
}

/**
 * Parses a template: Handlebars text with `<<…>>` tags (and the seed's `{{…}}` form for the
 * unsubscribe tag names). Errors are returned, never thrown; invalid tags are left out of the AST.
 * @throws TypeError only when `source` is not a string (a programmer error).
 */
export function parseTemplate(source: string): ParseResult {
  if (typeof source !== 'string') throw new TypeError('parseTemplate(source): source must be a string');
  const ast: TemplateAst = { nodes: [] };
  const result: ParseResult = { ast, errors: [], warnings: [] };
  const { tokens } = templateLexer.tokenize(source);
  let index = 0;
  while (index < tokens.length) {
    const token = tokens[index] as IToken;
    if (!isOpener(token)) {
      // Text (the lexer yields nothing else outside tags).
      if (token.tokenType === Text) {
        ast.nodes.push({
          kind: 'text',
          text: token.image,
          start: token.startOffset,
          end: token.endOffset! + 1,
        });
      }
      index++;
      continue;
    }
    let end = index + 1;
    while (end < tokens.length) {
      const next = tokens[end] as IToken;
      if (isOpener(next) || next.tokenType === Text) break;
      end++;
      if (tagEnders.has(next.tokenType)) break;
    }
    parseTag(tokens.slice(index, end), result);
    index = end;
  }
  const byPosition = (a: TagError, b: TagError) => a.line - b.line || a.column - b.column;
  result.errors.sort(byPosition);
  result.warnings.sort(byPosition);
  return result;
}
