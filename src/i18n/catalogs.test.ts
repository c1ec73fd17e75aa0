/**
 * @module The catalogs in `locales/` against `en`: same keys, same placeholders and tags, every
 * message parses, every plural covers the locale's CLDR categories, and no English is left behind.
 *
 * Two sets of keys: the recipient pages' (every locale has every one) and the console's `console.*`
 * (only the console's locales, `en` and `ru`, have them — every one; the other catalogs have none,
 * so a half-translated console can never appear).
 */
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { describe, expect, it } from 'vitest';
import { readCatalog } from './catalogs.js';
import { consoleKeyPrefix, consoleLocales, sourceLocale, supportedLocales, type Locale } from './locales.js';

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

/** Messages that may read the same as English (the same word, a name or only placeholders). */
const sameAsEnglish = new Set([
  'nl:error.409.title',
  'de:error.409.title',
  'ru:console.nav.api',
  'ru:console.channel.sms',
  'ru:console.template.html',
  'ru:console.webhooks.httpStatus',
  'ru:console.endpoint.label',
  'ru:console.dashboard.endpointLabel',
  'ru:console.dashboard.disabledReason',
]);

const source = readCatalog(sourceLocale);

/** The keys `locale` must have: every `en` key, without the console's unless it speaks console. */
function expectedKeys(locale: Locale): string[] {
  const speaksConsole = consoleLocales.includes(locale);
  return Object.keys(source).filter((key) => speaksConsole || !key.startsWith(consoleKeyPrefix));
}

/** What is wrong with one catalog's keys and placeholders against `en` (empty lists: nothing). */
function keyProblems(locale: Locale, catalog: Record<string, string>) {
  const expected = expectedKeys(locale);
  const missing = expected.filter((key) => !(key in catalog));
  const extra = Object.keys(catalog).filter((key) => !expected.includes(key));
  const placeholders = Object.keys(catalog).filter((key) => {
    try {
      const own = [...shapeOf(parse(catalog[key] ?? '')).placeholders].sort();
      const english = [...shapeOf(parse(source[key] ?? '')).placeholders].sort();
      return own.join() !== english.join();
    } catch {
      return true;
    }
  });
  return { missing, extra, placeholders };
}

describe('the console catalog rule', () => {
  const ru = readCatalog('ru');
  const consoleKey = Object.keys(source).find((key) => key.startsWith(consoleKeyPrefix)) ?? '';

  it('en has console keys and ru has all of them', () => {
    expect(consoleKey).not.toBe('');
    expect(keyProblems('ru', ru)).toEqual({ missing: [], extra: [], placeholders: [] });
  });

  it('fails when ru lacks a console key', () => {
    const lacking = { ...ru };
    delete lacking[consoleKey];
    expect(keyProblems('ru', lacking).missing).toEqual([consoleKey]);
  });

  it('fails when a console message of ru has other placeholders than en', () => {
    const key = 'console.deliveries.replayed';
    expect(keyProblems('ru', { ...ru, [key]: '{n} доставок снова в очереди.' }).placeholders).toEqual([key]);
  });

  it('fails when a locale the console does not speak carries console keys', () => {
    const de = readCatalog('de');
    expect(keyProblems('de', { ...de, [consoleKey]: 'Inhalt' }).extra).toEqual([consoleKey]);
  });
});

describe('message catalogs', () => {
  it('en itself parses', () => {
    for (const [key, message] of Object.entries(source)) {
      expect(() => parse(message), key).not.toThrow();
    }
  });

  for (const locale of supportedLocales.filter((l) => l !== sourceLocale)) {
    describe(locale, () => {
      const catalog = readCatalog(locale);

      it(`has exactly the keys of en${consoleLocales.includes(locale) ? '' : ' outside console.*'}`, () => {
        const { missing, extra } = keyProblems(locale, catalog);
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
