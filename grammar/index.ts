/**
 * @module grammar: the tag language of unsub templates (`<<link_unsubscribe>>`, `<<Unsubscribe('News')>>`
 * …, and the seed's `{{…}}` form). Lexer, parser and AST; see TAGS.md for the EBNF and examples.
 */
export type {
  GroupRef,
  ParseResult,
  SourcePosition,
  TagAction,
  TagError,
  TagErrorCode,
  TagForm,
  TagName,
  TagNode,
  TemplateAst,
  TextNode,
} from './ast.js';
export { tagNames } from './ast.js';
export { parseTemplate } from './parseTemplate.js';
export { closestMatch, editDistance } from './closestMatch.js';
export { redirectUrlProblem } from './validateTagCall.js';
