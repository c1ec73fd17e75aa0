/**
 * @module Rewriting tags into Handlebars helper calls (`<<Unsubscribe('a')>>` → `{{unsub_link 2}}`)
 * without moving anything: each call is padded with spaces and keeps the tag's line breaks, so every
 * offset, line and column after it is unchanged and Handlebars' errors point into the user's source.
 */

/** The helper every tag compiles to; its one argument is the slot index. */
export const linkHelperName = 'unsub_link';

/**
 * A Handlebars call of `linkHelperName` for `slot`, exactly as long as `original` and with its line
 * breaks at the same offsets. Handlebars ignores whitespace (line breaks included) inside `{{…}}`.
 * Falls back to the bare call when the tag is too short or broken up to hold it.
 */
export function helperCallFor(original: string, slot: number): string {
  const bare = `{{${linkHelperName} ${slot}}}`;
  if (original.length < bare.length) return bare;
  // UTF-16 units, as offsets and columns count them: each unit becomes one space.
  const out: string[] = original.split('').map((char) => (char === '\n' || char === '\r' ? char : ' '));
  const last = out.length - 1;
  out[0] = '{';
  out[1] = '{';
  out[last - 1] = '}';
  out[last] = '}';
  const free = (from: number, length: number) => {
    if (from + length > last - 1) return false;
    for (let i = from; i < from + length; i++) if (out[i] !== ' ') return false;
    return true;
  };
  const place = (text: string, from: number): number => {
    for (let start = from; start + text.length <= last - 1; start++) {
      if (free(start, text.length)) {
        for (let i = 0; i < text.length; i++) out[start + i] = text[i]!;
        return start + text.length;
      }
    }
    return -1;
  };
  const afterName = place(linkHelperName, 2);
  // At least one whitespace character (space or line break) must separate name and number.
  const afterNumber = afterName < 0 ? -1 : place(String(slot), afterName + 1);
  return afterNumber < 0 ? bare : out.join('');
}

/** The source with each `[start, end)` range replaced by the helper call for its slot. */
export function rewriteTags(
  source: string,
  tags: readonly { start: number; end: number; slot: number }[],
): string {
  let result = '';
  let at = 0;
  for (const tag of tags) {
    result += source.slice(at, tag.start) + helperCallFor(source.slice(tag.start, tag.end), tag.slot);
    at = tag.end;
  }
  return result + source.slice(at);
}
