/**
 * @module The tag language's vocabulary: the small AST the parser produces and the errors it returns.
 *
 * Terms: a *template* is Handlebars source with *tags* in it; a *tag* is `<<call>>` (canonical) or the
 * seed's `{{call}}` form; a *call* is a tag name with optional string arguments. Everything that is
 * not a tag is *text*, which stays Handlebars source untouched.
 */

/** Canonical tag names (the seed's `link_unsubscribe_unsubscribe_manager` is an alias of the manager). */
export type TagName = 'link_unsubscribe' | 'link_unsubscribe_manager' | 'Unsubscribe' | 'UnsubscribeRedirect';

/** Every name the parser accepts, aliases included, mapped to its canonical name. */
export const tagNames: Readonly<Record<string, TagName>> = Object.freeze({
  link_unsubscribe: 'link_unsubscribe',
  link_unsubscribe_manager: 'link_unsubscribe_manager',
  link_unsubscribe_unsubscribe_manager: 'link_unsubscribe_manager',
  Unsubscribe: 'Unsubscribe',
  UnsubscribeRedirect: 'UnsubscribeRedirect',
});

/** What following the link of a tag does (the same strings as the links part's `LinkAction`). */
export type TagAction = 'unsubscribe' | 'manage' | 'unsubscribe_groups' | 'unsubscribe_redirect';

/** A 1-based position in the source; columns count UTF-16 code units, as editors do. */
export interface SourcePosition {
  /** 0-based offset into the source string. */
  offset: number;
  line: number;
  column: number;
}

/** A group named in a tag, as written (after unescaping) with where it was written. */
export interface GroupRef {
  name: string;
  position: SourcePosition;
}

/** How a tag was written: `<<…>>`, the seed's `{{…}}`, or the triple-stash `{{{…}}}`. */
export type TagForm = 'angle' | 'brace' | 'triple';

/** One valid tag. `start`/`end` are source offsets of the whole tag, delimiters included. */
export interface TagNode {
  kind: 'tag';
  name: TagName;
  /** The name as written (differs from `name` for the alias). */
  writtenName: string;
  action: TagAction;
  form: TagForm;
  /** Groups to unsubscribe from, in written order; empty for `link_unsubscribe` and the manager. */
  groups: GroupRef[];
  /** Only for `UnsubscribeRedirect`: the absolute http(s) URL to send the contact to afterwards. */
  redirectUrl?: string;
  start: number;
  end: number;
  position: SourcePosition;
}

/** A run of Handlebars source between tags. */
export interface TextNode {
  kind: 'text';
  text: string;
  start: number;
  end: number;
}

/** The parsed template: text and tags in source order (invalid tags are left out and reported). */
export interface TemplateAst {
  nodes: (TextNode | TagNode)[];
}

/** Stable codes of the problems the tag language reports. */
export type TagErrorCode =
  | 'unknown_tag'
  | 'unterminated_tag'
  | 'unterminated_string'
  | 'invalid_escape'
  | 'tag_syntax'
  | 'missing_argument'
  | 'extra_argument'
  | 'invalid_redirect_url'
  | 'empty_group_name'
  | 'stray_brace'
  | 'unknown_group'
  | 'ambiguous_group'
  | 'too_many_groups'
  | 'handlebars_syntax'
  | 'missing_unsubscribe'
  | 'compact_link_redirect'
  | 'compact_link_groups'
  | 'wrong_channel'
  // Warnings (never stop compilation):
  | 'duplicate_group'
  | 'alias_tag'
  | 'conditional_unsubscribe'
  | 'mixed_channels'
  | 'suspicious_merge_field'
  | 'sms_segments';

/** One problem, with a 1-based line and column and, where it helps, a hint saying how to fix it. */
export interface TagError {
  code: TagErrorCode;
  message: string;
  line: number;
  column: number;
  hint?: string;
}

/** What `parseTemplate` returns: never thrown, always this. */
export interface ParseResult {
  ast: TemplateAst;
  /** Problems that make the template unusable. */
  errors: TagError[];
  /** Problems worth fixing that do not stop compilation (e.g. a group named twice). */
  warnings: TagError[];
}
