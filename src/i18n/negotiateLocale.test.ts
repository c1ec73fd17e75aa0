/** @module Locale negotiation: order of sources, CLDR matching, and hostile input. */
import { describe, expect, it } from 'vitest';
import { loadTranslators } from './catalogs.js';
import { matchLocale, negotiateLocale, parseAcceptLanguage } from './negotiateLocale.js';

describe('matchLocale', () => {
  it.each([
    ['de-AT', 'de'],
    ['pt', 'pt-BR'],
    ['pt-PT', 'pt-BR'],
    ['zh', 'zh-CN'],
    ['zh-Hans-SG', 'zh-CN'],
    ['ru-RU', 'ru'],
    ['en-GB', 'en'],
    ['ar-EG', 'ar'],
    ['ja-JP', 'ja'],
  ])('%s → %s', (tag, locale) => {
    expect(matchLocale(tag)).toBe(locale);
  });

  it.each(['sv', 'xx', '../../x', '<script>', '', 'x'.repeat(10_000), 'en-', '*'])('%j → nothing', (tag) => {
    expect(matchLocale(tag)).toBeUndefined();
  });
});

describe('parseAcceptLanguage', () => {
  it('orders by q, keeps header order on ties, drops q=0 and *', () => {
    expect(parseAcceptLanguage('fr;q=0.5, de-AT, *;q=0.1, ru;q=0, en;q=0.8')).toEqual(['de-AT', 'en', 'fr']);
  });

  it('reads only the start of a huge header and never throws on garbage', () => {
    const huge = Array.from({ length: 2000 }, () => 'xx-YY;q=0.9').join(',') + ',ru';
    expect(parseAcceptLanguage(huge)).not.toContain('ru');
    expect(parseAcceptLanguage(huge).length).toBeLessThanOrEqual(16);
    for (const garbage of ['\u0000\uffff;;;,,,', ';q=', 'q=2', '{}', 'de;q=abc'.repeat(1000)]) {
      expect(() => parseAcceptLanguage(garbage)).not.toThrow();
    }
  });
});

describe('negotiateLocale', () => {
  it('first match wins: ?lang=, link claim, Accept-Language, default, en', () => {
    const all = { query: 'uk', linkLocale: 'ru', acceptLanguage: 'de', defaultLocale: 'fr' };
    expect(negotiateLocale(all)).toEqual({ locale: 'uk', source: 'query' });
    expect(negotiateLocale({ ...all, query: undefined })).toEqual({ locale: 'ru', source: 'link' });
    expect(negotiateLocale({ ...all, query: undefined, linkLocale: undefined })).toEqual({
      locale: 'de',
      source: 'header',
    });
    expect(negotiateLocale({ defaultLocale: 'fr', acceptLanguage: 'sv, nb' })).toEqual({
      locale: 'fr',
      source: 'default',
    });
    expect(negotiateLocale({})).toEqual({ locale: 'en', source: 'fallback' });
  });

  it('offered: the console speaks en and ru, so ar and de pass on to the next source', () => {
    const offered = ['en', 'ru'] as const;
    expect(negotiateLocale({ acceptLanguage: 'ar, ru;q=0.5', offered })).toEqual({
      locale: 'ru',
      source: 'header',
    });
    expect(negotiateLocale({ query: 'ar', acceptLanguage: 'de', offered })).toEqual({
      locale: 'en',
      source: 'fallback',
    });
    expect(negotiateLocale({ query: 'de', remembered: 'ru', acceptLanguage: 'en', offered })).toEqual({
      locale: 'ru',
      source: 'remembered',
    });
    expect(negotiateLocale({ query: 'en', remembered: 'ru', offered })).toEqual({
      locale: 'en',
      source: 'query',
    });
  });

  it('an unsupported ?lang= or claim falls through to the next source', () => {
    for (const query of ['../../x', '<script>alert(1)</script>', 'x'.repeat(10_240), ['ru'], 'sv']) {
      expect(negotiateLocale({ query, linkLocale: 'sv', acceptLanguage: 'ja' }).locale).toBe('ja');
    }
  });
});

describe('translators', () => {
  const translators = loadTranslators();

  it('formats plurals by the locale rules', () => {
    expect(translators.ru.t('undo.hint', { days: 30 })).toBe('Отменить отписку можно в течение 30 дней.');
    expect(translators.ru.t('undo.hint', { days: 21 })).toBe('Отменить отписку можно в течение 21 дня.');
    expect(translators.ar.t('undo.hint', { days: 2 })).toContain('يومين');
    expect(translators.en.t('undo.hint', { days: 1 })).toBe('You can undo this for 1 day.');
  });

  it('html() escapes values before it turns tags into markup', () => {
    const html = translators.en.html('done.left', { address: '<img src=x>@example.com', count: 2 });
    expect(html).toBe(
      '<strong><bdi>&lt;img src=x&gt;@example.com</bdi></strong> will no longer receive these 2 lists:',
    );
  });

  it('lists use the locale conjunction', () => {
    expect(translators.ru.list(['Новости', 'Акции'])).toBe('Новости и Акции');
    expect(translators.de.list(['A', 'B', 'C'])).toBe('A, B und C');
  });
});
