/**
 * @module The catalogs in `locales/` against `en`: same keys, same placeholders and tags, every
 * message parses, every plural covers the locale's CLDR categories, and no English is left behind.
 */
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { describe, expect, it } from 'vitest';
import { readCatalog } from './catalogs.js';
import { sourceLocale, supportedLocales } from './locales.js';

/** Placeholders, tags and plural arguments of one parsed message. */
interface Shape {
  placeholders: Set<string>;
  plurals: { name: string; options: string[] }[];
}

function shapeOf(
  elements: MessageFormatElement[],
  shape: Shape = { placeholders: new Set(), plurals: [] },
): Shape {
  for (const element of elements) {
    switch (element.type) {
      case TYPE.argument:
      case TYPE.number:
      case TYPE.date:
      case TYPE.time:
        shape.placeholders.add(element.value);
        break;
      case TYPE.select:
        shape.placeholders.add(element.value);
        for (const option of Object.values(element.options)) shapeOf(option.value, shape);
        break;
      case TYPE.plural:
        shape.placeholders.add(element.value);
        shape.plurals.push({ name: element.value, options: Object.keys(element.options) });
        for (const option of Object.values(element.options)) shapeOf(option.value, shape);
        break;
      case TYPE.tag:
        shape.placeholders.add(`<${element.value}>`);
        shapeOf(element.children, shape);
        break;
      default:
        break;
    }
  }
  return shape;
}

/** Messages that may read the same as English (the same word in that language). */
const sameAsEnglish = new Set(['nl:error.409.title', 'de:error.409.title']);

const source = readCatalog(sourceLocale);

describe('message catalogs', () => {
  it('en itself parses', () => {
    for (const [key, message] of Object.entries(source)) {
      expect(() => parse(message), key).not.toThrow();
    }
  });

  for (const locale of supportedLocales.filter((l) => l !== sourceLocale)) {
    describe(locale, () => {
      const catalog = readCatalog(locale);

      it('has exactly the keys of en', () => {
        const missing = Object.keys(source).filter((key) => !(key in catalog));
        const extra = Object.keys(catalog).filter((key) => !(key in source));
        expect({ missing, extra }).toEqual({ missing: [], extra: [] });
      });

      it('every message parses and has the placeholders and tags of en', () => {
        for (const [key, message] of Object.entries(catalog)) {
          let ast: MessageFormatElement[] = [];
          expect(() => (ast = parse(message)), `${locale}:${key} parses`).not.toThrow();
          const own = [...shapeOf(ast).placeholders].sort();
          const english = [...shapeOf(parse(source[key] ?? '')).placeholders].sort();
          expect(own, `${locale}:${key} placeholders`).toEqual(english);
        }
      });

      it("every plural has the locale's CLDR categories", () => {
        const categories = new Intl.PluralRules(locale).resolvedOptions().pluralCategories;
        for (const [key, message] of Object.entries(catalog)) {
          for (const plural of shapeOf(parse(message)).plurals) {
            const lacking = categories.filter((category) => !plural.options.includes(category));
            expect(lacking, `${locale}:${key} {${plural.name}}`).toEqual([]);
          }
        }
      });

      it('leaves no message in English', () => {
        const english = Object.keys(catalog).filter(
          (key) => catalog[key] === source[key] && !sameAsEnglish.has(`${locale}:${key}`),
        );
        expect(english).toEqual([]);
      });
    });
  }
});
