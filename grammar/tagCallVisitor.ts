/**
 * @module The CST visitor: turns one parsed tag into a `TagCall` (its opener, name, raw string
 * arguments and closer tokens). Meaning (known names, argument counts, URLs) is checked afterwards
 * by `validateTagCall.ts`, which has the positions it needs in these tokens.
 */
import type { CstNode, IToken } from 'chevrotain';
import { BaseTagVisitor } from './tagParser.js';

/** One syntactically valid tag, still as tokens. */
export interface TagCall {
  open: IToken;
  name: IToken;
  /** The quoted argument tokens; undefined when the tag has no parentheses at all. */
  args: IToken[] | undefined;
  close: IToken;
}

type Children = Record<string, (IToken | CstNode)[] | undefined>;

function firstToken(children: Children, ...keys: string[]): IToken {
  for (const key of keys) {
    const found = children[key]?.[0];
    if (found !== undefined) return found as IToken;
  }
  // The parser only builds a CST when every required token was consumed.
  throw new Error(`tag CST lacks ${keys.join(' or ')}`);
}

class TagCallVisitor extends BaseTagVisitor {
  constructor() {
    super();
    this.validateVisitor();
  }

  tag(children: Children): TagCall {
    const argumentList = children.argumentList?.[0] as CstNode | undefined;
    return {
      open: firstToken(children, 'AngleOpen', 'BraceOpen'),
      name: firstToken(children, 'Name'),
      args: argumentList === undefined ? undefined : this.visit(argumentList),
      close: this.visit(children.tagClose?.[0] as CstNode),
    };
  }

  argumentList(children: Children): IToken[] {
    // CONSUME and CONSUME2 of the same token type share one key, in source order.
    return [...((children.StringLiteral ?? []) as IToken[])].sort((a, b) => a.startOffset - b.startOffset);
  }

  tagClose(children: Children): IToken {
    return firstToken(children, 'AngleClose', 'TripleClose', 'BraceClose');
  }
}

const visitor = new TagCallVisitor();

/** The `TagCall` of a CST produced by `parseTagTokens`. */
export function toTagCall(cst: CstNode): TagCall {
  return visitor.visit(cst) as TagCall;
}
