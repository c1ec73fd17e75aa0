/**
 * @module The tag language's lexer: chevrotain tokens in three modes. `text` mode cuts the template
 * into Handlebars text and tag openers; `angle` (inside `<<…>>`) and `brace` (inside the seed's
 * `{{…}}`) lex the call. A character that cannot belong to a tag (`junk`) or an unterminated string
 * leaves the tag mode, so one broken tag never swallows the rest of the template.
 */
import { createToken, Lexer, type CustomPatternMatcherReturn, type TokenType } from 'chevrotain';
import { closestMatch } from './closestMatch.js';
import { tagNames } from './ast.js';

const knownNames = Object.keys(tagNames);

/** True when `name` is a tag name or close enough to one to be a misspelling worth reporting. */
function looksLikeTagName(name: string): boolean {
  return Object.hasOwn(tagNames, name) || closestMatch(name, knownNames) !== undefined;
}

const angleHead = /<<([ \t]*)([A-Za-z_][A-Za-z0-9_]*)\s*(\(|>>)?/y;

/**
 * Length of the `<<` opener at `offset` (2), or 0 when the `<<` there is plain text. `<<name(` and
 * `<<name>>` open a tag; so does `<<name` / `<< name` when the name is a tag name or a near miss
 * (so `<<link_unsubscribe` without `>>` is reported as unterminated). `a << b` stays text.
 */
export function angleOpenerLength(text: string, offset: number): number {
  if (text.charCodeAt(offset) !== 60 || text.charCodeAt(offset + 1) !== 60) return 0;
  angleHead.lastIndex = offset;
  const match = angleHead.exec(text);
  if (!match) return 0;
  const [, spaces, name, follower] = match;
  if (spaces === '' && follower !== undefined) return 2;
  return looksLikeTagName(name as string) ? 2 : 0;
}

const braceHead = /\{\{(\{?)[ \t]*([A-Za-z_][A-Za-z0-9_]*)/y;

/**
 * Length of the seed-form opener at `offset`: 2 for `{{`, 3 for the triple-stash `{{{`, or 0. Only
 * the exact tag names open a tag here; every other `{{…}}` is Handlebars and stays text, as does
 * an escaped `\{{`.
 */
export function braceOpenerLength(text: string, offset: number): number {
  if (text.charCodeAt(offset) !== 123 || text.charCodeAt(offset + 1) !== 123) return 0;
  if (offset > 0 && text.charCodeAt(offset - 1) === 92) return 0;
  braceHead.lastIndex = offset;
  const match = braceHead.exec(text);
  if (!match || !Object.hasOwn(tagNames, match[2] as string)) return 0;
  return match[1] === '{' ? 3 : 2;
}

function opener(measure: (text: string, offset: number) => number) {
  return (text: string, offset: number): CustomPatternMatcherReturn | null => {
    const length = measure(text, offset);
    return length === 0 ? null : [text.slice(offset, offset + length)];
  };
}

const candidate = /<<|\{\{/g;

/** Text runs up to the next position where a tag opens (at least one character). */
function matchText(text: string, offset: number): CustomPatternMatcherReturn | null {
  let from = offset;
  let end = text.length;
  for (;;) {
    candidate.lastIndex = from;
    const found = candidate.exec(text);
    if (!found) break;
    if (angleOpenerLength(text, found.index) > 0 || braceOpenerLength(text, found.index) > 0) {
      end = found.index;
      break;
    }
    from = found.index + 1;
  }
  return end > offset ? [text.slice(offset, end)] : null;
}

/** `<<` that opens a tag. */
export const AngleOpen = createToken({
  name: 'AngleOpen',
  pattern: { exec: opener(angleOpenerLength) },
  line_breaks: false,
  start_chars_hint: ['<'],
  push_mode: 'angle',
});
/** `{{` or `{{{` that opens a seed-form tag. */
export const BraceOpen = createToken({
  name: 'BraceOpen',
  pattern: { exec: opener(braceOpenerLength) },
  line_breaks: false,
  start_chars_hint: ['{'],
  push_mode: 'brace',
});
/** Handlebars source between tags. */
export const Text = createToken({ name: 'Text', pattern: { exec: matchText }, line_breaks: true });

/** A new `<<` opener inside an unclosed tag: ends that tag and starts the next one. */
export const AngleReopen = createToken({
  name: 'AngleReopen',
  pattern: { exec: opener(angleOpenerLength) },
  line_breaks: false,
  start_chars_hint: ['<'],
  categories: [AngleOpen],
  pop_mode: true,
  push_mode: 'angle',
});
/** A new `{{` opener inside an unclosed tag. */
export const BraceReopen = createToken({
  name: 'BraceReopen',
  pattern: { exec: opener(braceOpenerLength) },
  line_breaks: false,
  start_chars_hint: ['{'],
  categories: [BraceOpen],
  pop_mode: true,
  push_mode: 'brace',
});

/** Spaces and line breaks between the parts of a call. */
export const WhiteSpace = createToken({
  name: 'WhiteSpace',
  pattern: /\s+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});
/** `>>` closing a canonical tag. */
export const AngleClose = createToken({ name: 'AngleClose', pattern: />>/, pop_mode: true });
/** `}}}` closing a seed-form tag: right after `{{{`, a typo after `{{` (the seed's stray brace). */
export const TripleClose = createToken({ name: 'TripleClose', pattern: /\}\}\}/, pop_mode: true });
/** `}}` closing a seed-form tag. */
export const BraceClose = createToken({ name: 'BraceClose', pattern: /\}\}/, pop_mode: true });
/** A tag name (known or not: the parser reports unknown names with a suggestion). */
export const Name = createToken({ name: 'Name', pattern: /[A-Za-z_][A-Za-z0-9_]*/ });
/** `(` */
export const LParen = createToken({ name: 'LParen', pattern: /\(/ });
/** `)` */
export const RParen = createToken({ name: 'RParen', pattern: /\)/ });
/** `,` */
export const Comma = createToken({ name: 'Comma', pattern: /,/ });
/** A single- or double-quoted string on one line, backslash escapes allowed. */
export const StringLiteral = createToken({
  name: 'StringLiteral',
  pattern: /'(?:[^'\\\r\n]|\\[^\r\n])*'|"(?:[^"\\\r\n]|\\[^\r\n])*"/,
});
/** A string that reaches the end of its line without its closing quote; leaves the tag. */
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: /'(?:[^'\\\r\n]|\\[^\r\n])*\\?|"(?:[^"\\\r\n]|\\[^\r\n])*\\?/,
  pop_mode: true,
});
/** Any other character: it cannot be part of a tag, so the tag ends (unclosed) here. */
export const Junk = createToken({ name: 'Junk', pattern: /[\s\S]/, pop_mode: true });

const callTokens: TokenType[] = [Name, LParen, RParen, Comma, StringLiteral, UnterminatedString];

/** Every token type, for the parser's vocabulary. */
export const allTokens: TokenType[] = [
  AngleOpen,
  BraceOpen,
  Text,
  AngleReopen,
  BraceReopen,
  WhiteSpace,
  AngleClose,
  TripleClose,
  BraceClose,
  ...callTokens,
  Junk,
];

/** The three-mode lexer; `tokenize` never throws for input (unlexable characters become `Junk`). */
export const templateLexer = new Lexer(
  {
    modes: {
      text: [AngleOpen, BraceOpen, Text],
      angle: [WhiteSpace, AngleClose, AngleReopen, BraceReopen, ...callTokens, Junk],
      brace: [WhiteSpace, TripleClose, BraceClose, AngleReopen, BraceReopen, ...callTokens, Junk],
    },
    defaultMode: 'text',
  },
  // safeMode: the first-character optimisation mis-indexes the catch-all `Junk` pattern; templates are
  // lexed once per compile, so the plain scan costs nothing that matters.
  { positionTracking: 'full', safeMode: true },
);
