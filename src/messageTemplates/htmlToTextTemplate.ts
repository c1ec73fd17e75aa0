/**
 * @module The generated plain-text part. `html-to-text` converts the HTML with every link written
 * out (`Unsubscribe [https://…/u/…]`), so each unsubscribe URL is in the text part too.
 *
 * Converting every recipient's HTML would cost several times the render itself, so the conversion
 * runs once per template: merge fields, blocks and tags are swapped for placeholders the converter
 * passes through untouched, the result is a text template, and that renders per recipient like the
 * HTML. When the HTML's Handlebars structure does not survive the conversion (a block opened in one
 * table cell and closed in an attribute the converter drops), `textFromHtml` converts each render.
 */
import { convert, type HtmlToTextOptions } from 'html-to-text';

/** Converter options: links written out, headings as written, images left out (their alt text is decoration). */
export const htmlToTextOptions: HtmlToTextOptions = {
  wordwrap: 78,
  selectors: [
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true, ignoreHref: false } },
    { selector: 'img', format: 'skip' },
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
  ],
};

/** Merge fields (`{{…}}`, `{{{…}}}`) and tags (`<<…>>`) of a template source. */
const templateCode = /\{\{\{[\s\S]*?\}\}\}|\{\{[\s\S]*?\}\}|<<[^<>]*>>/g;
const placeholder = /\uE000([0-9a-z]+)\uE001/g;

/** The text of one rendered HTML part (the per-render fallback). */
export function textFromHtml(html: string): string {
  return convert(html, htmlToTextOptions);
}

/**
 * The text template made from an HTML template source: the converter's output with the template's
 * merge fields, blocks and tags put back where it left their placeholders. The caller compiles it
 * and falls back to `textFromHtml` when it does not compile.
 */
export function htmlToTextTemplate(source: string): string {
  const pieces: string[] = [];
  const shielded = source.replace(templateCode, (code) => {
    pieces.push(code);
    // Private-use characters: never whitespace, never markup, never changed by the converter.
    return `\uE000${(pieces.length - 1).toString(36)}\uE001`;
  });
  return convert(shielded, htmlToTextOptions).replace(
    placeholder,
    (_match, index: string) => pieces[parseInt(index, 36)] ?? '',
  );
}
