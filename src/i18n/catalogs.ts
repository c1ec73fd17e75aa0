/**
 * @module The message catalogs: one JSON file per locale in `locales/` (flat keys → ICU
 * MessageFormat strings), read once, and a `Translator` per locale that formats them with
 * `intl-messageformat` (plural rules, selects and number formats of that locale).
 *
 * Rich text: messages may wrap a value in `<b>…</b>`, `<strong>…</strong>` or `<code>…</code>`. `t()` drops the tags
 * (plain text, escape it yourself); `html()` escapes every value FIRST and only then turns `<b>`
 * into `<strong><bdi>` (`<strong>` and `<code>` stay as they are), so a
 * contact's address or a group name can never become markup.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { IntlMessageFormat } from 'intl-messageformat';
import { packageRoot } from '../version.js';
import { directionOf, sourceLocale, supportedLocales, type Locale } from './locales.js';

/** The folder of the catalogs. */
export const defaultLocalesDir: string = path.join(packageRoot, 'locales');

/** One catalog: message key → ICU MessageFormat source. */
export type Catalog = Record<string, string>;

/** Values a message may take. */
export type MessageValues = Record<string, string | number>;

/** Formats the messages of one locale. */
export interface Translator {
  readonly locale: Locale;
  readonly dir: 'ltr' | 'rtl';
  /** Plain text (tags dropped). A key the catalog lacks falls back to `en`, then to the key. */
  t(key: string, values?: MessageValues): string;
  /** HTML: values escaped, `<b>` → `<strong><bdi>`, `<strong>` and `<code>` kept. */
  html(key: string, values?: MessageValues): string;
  /** "a, b and c" in this locale (`Intl.ListFormat`). */
  list(items: readonly string[]): string;
}

/** Reads one catalog file. @throws Error naming the file when it is missing or not a flat string map. */
export function readCatalog(locale: string, dir: string = defaultLocalesDir): Catalog {
  const file = path.join(dir, `${locale}.json`);
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${file}: a catalog must be a JSON object of message keys`);
  }
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new Error(`${file}: message "${key}" must be a string`);
  }
  return parsed as Catalog;
}

const htmlEscapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => htmlEscapes[c] ?? c);
}

function escapedValues(values: MessageValues | undefined): MessageValues | undefined {
  if (!values) return values;
  const out: MessageValues = {};
  for (const [key, value] of Object.entries(values))
    out[key] = typeof value === 'string' ? escapeHtml(value) : value;
  return out;
}

const joinChunks = (chunks: unknown[]) => chunks.join('');
const plainTags = { b: joinChunks, strong: joinChunks, code: joinChunks };
// `<bdi>`: an address or name keeps its own direction inside a right-to-left sentence.
const htmlTags = {
  b: (chunks: unknown[]) => `<strong><bdi>${chunks.join('')}</bdi></strong>`,
  // Emphasis that is not a name or address (the console's numbers in force).
  strong: (chunks: unknown[]) => `<strong>${chunks.join('')}</strong>`,
  // A variable, command or tag name inside a sentence (the console's hints).
  code: (chunks: unknown[]) => `<code>${chunks.join('')}</code>`,
};

/** Texts with values kept per translator (see `createTranslator`). */
const maxFormattedTexts = 4096;

/** The translators of every supported locale, made from the catalogs in `dir` (read once). */
export function loadTranslators(dir: string = defaultLocalesDir): Record<Locale, Translator> {
  const source = readCatalog(sourceLocale, dir);
  const entries = supportedLocales.map((locale) => {
    const catalog = locale === sourceLocale ? source : readCatalog(locale, dir);
    return [locale, createTranslator(locale, catalog, source)] as const;
  });
  return Object.fromEntries(entries) as Record<Locale, Translator>;
}

let bundled: Record<Locale, Translator> | undefined;

/** The translators of the catalogs shipped in `locales/`, read on first use and shared after. */
export function bundledTranslators(): Record<Locale, Translator> {
  return (bundled ??= loadTranslators());
}

/** A translator over one catalog, falling back to `fallback` (the `en` catalog) key by key. */
export function createTranslator(locale: Locale, catalog: Catalog, fallback: Catalog): Translator {
  const formats = new Map<string, IntlMessageFormat>();
  const listFormat = new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' });
  const formatOf = (key: string): IntlMessageFormat | undefined => {
    let format = formats.get(key);
    if (!format) {
      const ownSource = catalog[key];
      const source = ownSource ?? fallback[key];
      if (source === undefined) return undefined;
      format = new IntlMessageFormat(source, ownSource === undefined ? sourceLocale : locale);
      formats.set(key, format);
    }
    return format;
  };
  // Most texts of a page take no values: format each of those once (pages are the hot path).
  const constants = new Map<string, string>();
  // Texts with values repeat too: a masked address (`j***@gmail.com`) and a channel, a count. The
  // last few thousand are kept, keyed by the message and its values, and forgotten all at once
  // when full (a bound, not an LRU: the same few keys come back all day).
  const formatted = new Map<string, string>();
  const run = (key: string, values: MessageValues | undefined, tags: typeof plainTags): string => {
    const cacheKey = tags === plainTags ? key : `<${key}`;
    let valuesKey: string | undefined;
    if (values !== undefined) {
      // Each value with its type and length: no two different sets of values share a key.
      for (const name in values) {
        const value = values[name];
        const text = typeof value === 'number' ? `n${value}` : `s${value}`;
        valuesKey = `${valuesKey ?? cacheKey}\u0000${name}\u0000${text.length}:${text}`;
      }
    }
    const known = valuesKey === undefined ? constants.get(cacheKey) : formatted.get(valuesKey);
    if (known !== undefined) return known;
    const format = formatOf(key);
    if (!format) return key;
    const result = format.format({ ...values, ...tags });
    const text = Array.isArray(result) ? result.join('') : String(result);
    if (valuesKey === undefined) constants.set(cacheKey, text);
    else {
      if (formatted.size >= maxFormattedTexts) formatted.clear();
      formatted.set(valuesKey, text);
    }
    return text;
  };
  return {
    locale,
    dir: directionOf(locale),
    t: (key, values) => run(key, values, plainTags),
    html: (key, values) => run(key, escapedValues(values), htmlTags),
    list: (items) => listFormat.format(items),
  };
}
