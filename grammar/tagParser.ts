/**
 * @module The tag language's parser: a chevrotain CstParser for one tag (`open call close`), run on
 * the tokens of each tag separately so that one broken tag is reported on its own and the others
 * still parse. Recovery is off: the first problem in a tag is the one reported.
 */
import { CstParser, EOF, type CstNode, type IRecognitionException, type IToken } from 'chevrotain';
import {
  allTokens,
  AngleClose,
  AngleOpen,
  BraceClose,
  BraceOpen,
  Comma,
  LParen,
  Name,
  RParen,
  StringLiteral,
  TripleClose,
} from './templateLexer.js';

/**
 * The grammar, as in TAGS.md:
 *   tag          = ( "<<" | "{{" | "{{{" ) NAME [ argumentList ] tagClose
 *   argumentList = "(" [ STRING { "," STRING } [ "," ] ] ")"
 *   tagClose     = ">>" | "}}" | "}}}"
 */
class TagParser extends CstParser {
  constructor() {
    super(allTokens, { recoveryEnabled: false, maxLookahead: 2 });
    this.performSelfAnalysis();
  }

  readonly tag = this.RULE('tag', () => {
    this.OR([{ ALT: () => this.CONSUME(AngleOpen) }, { ALT: () => this.CONSUME(BraceOpen) }]);
    this.CONSUME(Name);
    this.OPTION(() => this.SUBRULE(this.argumentList));
    this.SUBRULE(this.tagClose);
  });

  readonly argumentList = this.RULE('argumentList', () => {
    this.CONSUME(LParen);
    this.OPTION(() => {
      this.CONSUME(StringLiteral);
      // Two tokens of lookahead tell `, 'next'` (another argument) from `, )` (a trailing comma).
      this.MANY(() => {
        this.CONSUME(Comma);
        this.CONSUME2(StringLiteral);
      });
      this.OPTION2(() => this.CONSUME2(Comma));
    });
    this.CONSUME(RParen);
  });

  readonly tagClose = this.RULE('tagClose', () => {
    this.OR([
      { ALT: () => this.CONSUME(AngleClose) },
      { ALT: () => this.CONSUME(TripleClose) },
      { ALT: () => this.CONSUME(BraceClose) },
    ]);
  });
}

const parser = new TagParser();

/** The parser's CST visitor base, for `tagCallVisitor.ts`. */
export const BaseTagVisitor = parser.getBaseCstVisitorConstructor();

/** Where and why a tag failed to parse, in the parser's terms (mapped to a `TagError` by the caller). */
export interface TagSyntaxProblem {
  /** The token found where something else was expected (`EOF` when the tag simply stops). */
  found: IToken;
  /** The token before it (undefined at the very start). */
  previous: IToken | undefined;
  /** The rule being parsed: `tagClose` means the call was complete but its closer never came. */
  rule: string;
}

/** True when `token` is the end-of-input marker chevrotain appends. */
export function isEndOfInput(token: IToken): boolean {
  return token.tokenType === EOF;
}

/** Parses the tokens of one tag (opener first). Returns the CST or the first syntax problem. */
export function parseTagTokens(tokens: IToken[]): { cst: CstNode } | { problem: TagSyntaxProblem } {
  parser.input = tokens;
  const cst = parser.tag();
  const error: IRecognitionException | undefined = parser.errors[0];
  if (error === undefined) return { cst };
  const ruleStack = error.context.ruleStack;
  return {
    problem: {
      found: error.token,
      previous: (error as IRecognitionException & { previousToken?: IToken }).previousToken,
      rule: ruleStack[ruleStack.length - 1] ?? 'tag',
    },
  };
}
