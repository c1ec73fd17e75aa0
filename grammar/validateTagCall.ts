/**
 * @module The meaning of one parsed tag: known name (or a "did you mean"), the arguments each tag
 * takes, string escapes, the redirect URL and group names. Produces a `TagNode` or the errors.
 */
import type { IToken } from 'chevrotain';
import {
  tagNames,
  type GroupRef,
  type SourcePosition,
  type TagAction,
  type TagError,
  type TagErrorCode,
  type TagForm,
  type TagName,
  type TagNode,
} from './ast.js';
import { closestMatch } from './closestMatch.js';
import { decodeString } from './decodeString.js';
import type { TagCall } from './tagCallVisitor.js';

const actions: Record<TagName, TagAction> = {
  link_unsubscribe: 'unsubscribe',
  link_unsubscribe_manager: 'manage',
  Unsubscribe: 'unsubscribe_groups',
  UnsubscribeRedirect: 'unsubscribe_redirect',
};

/** The 1-based position of a token (the lexer tracks full positions, so they are always set). */
export function positionOf(token: IToken, extraColumns = 0): SourcePosition {
  return {
    offset: token.startOffset + extraColumns,
    line: token.startLine ?? 1,
    column: (token.startColumn ?? 1) + extraColumns,
  };
}

/** A `TagError` at a position. */
export function problemAt(
  position: SourcePosition,
  code: TagErrorCode,
  message: string,
  hint?: string,
): TagError {
  const error: TagError = { code, message, line: position.line, column: position.column };
  if (hint !== undefined) error.hint = hint;
  return error;
}

/**
 * Why `text` is not an acceptable redirect target, or undefined when it is: it must be an absolute
 * http(s) URL with a host, no credentials and no spaces or control characters (so never `javascript:`
 * or relative).
 */
export function redirectUrlProblem(text: string): string | undefined {
  if (/[\s\p{Cc}]/u.test(text)) return 'contains spaces or control characters';
  if (!/^https?:\/\//i.test(text)) return 'is not an absolute http(s) URL';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a valid URL';
  }
  if (url.hostname === '') return 'has no host';
  return url.username !== '' || url.password !== '' ? 'must not carry a user name or password' : undefined;
}

/** The form a tag was written in, from its opener. */
function formOf(open: IToken): TagForm {
  if (open.image === '<<') return 'angle';
  return open.image === '{{{' ? 'triple' : 'brace';
}

const closerOf: Record<TagForm, string> = { angle: '>>', brace: '}}', triple: '}}}' };

/** The closer matching an opener token (`>>`, `}}` or `}}}`). */
export function closerFor(open: IToken): string {
  return closerOf[formOf(open)];
}

/** True when `name` is a tag name or its alias. */
export function isTagName(name: string): boolean {
  return Object.hasOwn(tagNames, name);
}

/** The `unknown_tag` error for a name token, with a "did you mean" when one is close. */
export function unknownTagError(nameToken: IToken, open: IToken): TagError {
  const written = nameToken.image;
  const opener = open.image;
  const closer = closerFor(open);
  const suggestion = closestMatch(written, Object.keys(tagNames));
  return problemAt(
    positionOf(nameToken),
    'unknown_tag',
    suggestion === undefined
      ? `unknown tag ${opener}${written}${closer}`
      : `unknown tag ${opener}${written}${closer}; did you mean ${opener}${suggestion}${closer}?`,
    suggestion === undefined
      ? 'tags are link_unsubscribe, link_unsubscribe_manager, Unsubscribe(…) and UnsubscribeRedirect(…); write &lt;&lt; for a literal <<'
      : undefined,
  );
}

/** Checks one parsed tag; returns its node (when valid) and the problems found. */
export function validateTagCall(call: TagCall): { node?: TagNode; errors: TagError[]; warnings: TagError[] } {
  const errors: TagError[] = [];
  const warnings: TagError[] = [];
  const written = call.name.image;
  const namePosition = positionOf(call.name);
  const form = formOf(call.open);
  const opener = call.open.image;
  const closer = closerOf[form];
  const name = Object.hasOwn(tagNames, written) ? tagNames[written] : undefined;
  if (name === undefined) {
    errors.push(unknownTagError(call.name, call.open));
    return { errors, warnings };
  }
  if (written !== name) {
    warnings.push(
      problemAt(namePosition, 'alias_tag', `${written} is an alias; write ${name}`, 'both work the same'),
    );
  }
  const closePosition = positionOf(call.close);
  if (form === 'brace' && call.close.image === '}}}') {
    errors.push(
      problemAt(
        positionOf(call.close, 2),
        'stray_brace',
        `stray '}' after {{${written}…}}`,
        'the seed document’s `}}}` is a typo: close the tag with `}}`',
      ),
    );
  } else if (call.close.image !== closer) {
    errors.push(problemAt(closePosition, 'tag_syntax', `expected '${closer}' to close ${opener}${written}`));
  }

  const args: { value: string; position: SourcePosition }[] = [];
  for (const token of call.args ?? []) {
    const decoded = decodeString(token.image);
    if ('badEscapeAt' in decoded) {
      errors.push(
        problemAt(
          positionOf(token, decoded.badEscapeAt),
          'invalid_escape',
          'invalid \\u escape in string',
          'write \\uXXXX with four hex digits or \\u{X…} up to 10FFFF',
        ),
      );
    } else {
      args.push({ value: decoded.value, position: positionOf(token) });
    }
  }
  if (errors.length > 0) return { errors, warnings };

  let redirectUrl: string | undefined;
  let groupArgs = args;
  if (name === 'link_unsubscribe' || name === 'link_unsubscribe_manager') {
    const extra = args[0];
    if (extra !== undefined) {
      errors.push(
        problemAt(
          extra.position,
          'extra_argument',
          `${written} takes no arguments`,
          `write ${opener}${written}${closer}`,
        ),
      );
    }
    groupArgs = [];
  } else if (name === 'UnsubscribeRedirect') {
    const url = args[0];
    if (url === undefined) {
      errors.push(
        problemAt(
          namePosition,
          'missing_argument',
          'UnsubscribeRedirect needs a URL and at least one group',
          `write ${opener}UnsubscribeRedirect('https://example.com/bye', 'News')${closer}`,
        ),
      );
      return { errors, warnings };
    }
    const problem = redirectUrlProblem(url.value);
    if (problem !== undefined) {
      errors.push(
        problemAt(
          url.position,
          'invalid_redirect_url',
          `redirect URL '${url.value}' ${problem}`,
          'the first argument must be an absolute https:// or http:// URL; groups follow it',
        ),
      );
    }
    redirectUrl = url.value;
    groupArgs = args.slice(1);
  }
  if (name === 'Unsubscribe' || name === 'UnsubscribeRedirect') {
    if (groupArgs.length === 0) {
      errors.push(
        problemAt(
          namePosition,
          'missing_argument',
          `${written} needs at least one group`,
          name === 'Unsubscribe'
            ? `write ${opener}Unsubscribe('News')${closer}`
            : `write ${opener}UnsubscribeRedirect('${redirectUrl ?? 'https://example.com/bye'}', 'News')${closer}`,
        ),
      );
    }
  }
  const groups: GroupRef[] = [];
  const seen = new Set<string>();
  for (const arg of groupArgs) {
    const normalized = arg.value.normalize('NFC').trim();
    if (normalized === '') {
      errors.push(
        problemAt(arg.position, 'empty_group_name', 'empty group name', "name a group, e.g. 'News'"),
      );
      continue;
    }
    if (seen.has(normalized)) {
      warnings.push(problemAt(arg.position, 'duplicate_group', `group '${normalized}' is named twice`));
      continue;
    }
    seen.add(normalized);
    groups.push({ name: normalized, position: arg.position });
  }
  if (errors.length > 0) return { errors, warnings };
  const node: TagNode = {
    kind: 'tag',
    name,
    writtenName: written,
    action: actions[name],
    form,
    groups,
    start: call.open.startOffset,
    end: call.close.endOffset! + 1,
    position: positionOf(call.open),
  };
  if (redirectUrl !== undefined) node.redirectUrl = redirectUrl;
  return { node, errors, warnings };
}
