/** @module Decoding a quoted tag argument: strip the quotes, resolve backslash escapes. */

const simpleEscapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0' };

/**
 * The value of a quoted string token (`'…'` or `"…"`). Escapes: `\\ \' \" \n \r \t \0`, `\uXXXX` and
 * `\u{X…}`; any other escaped character stands for itself (as in JavaScript).
 * @returns the value, or the 0-based index inside `literal` of an invalid `\u` escape.
 */
export function decodeString(literal: string): { value: string } | { badEscapeAt: number } {
  const body = literal.slice(1, -1);
  if (!body.includes('\\')) return { value: body };
  let value = '';
  for (let i = 0; i < body.length; i++) {
    const char = body[i] as string;
    if (char !== '\\') {
      value += char;
      continue;
    }
    const next = body[i + 1] ?? '';
    if (next !== 'u') {
      value += simpleEscapes[next] ?? next;
      i++;
      continue;
    }
    const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(body.slice(i + 2));
    const plain = /^[0-9a-fA-F]{4}/.exec(body.slice(i + 2));
    const hex = braced ? braced[1] : plain?.[0];
    const codePoint = hex === undefined ? NaN : parseInt(hex, 16);
    if (!(codePoint <= 0x10ffff)) return { badEscapeAt: i + 1 };
    value += String.fromCodePoint(codePoint);
    i += 1 + (braced ? braced[0].length : 4);
  }
  return { value };
}
