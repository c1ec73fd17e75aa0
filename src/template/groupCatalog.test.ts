/** @module Tests of the group catalog: schema errors by item and field, and name resolution. */
import { describe, expect, it } from 'vitest';
import { GroupResolver, parseGroupCatalog } from './index.js';

describe('group catalog', () => {
  it('validates groups.json and names the item at fault', () => {
    expect(
      parseGroupCatalog([{ id: 1, name: 'Новости', systemName: 'news', channel: 'email', description: 'd' }]),
    ).toEqual([{ id: 1, name: 'Новости', systemName: 'news', channel: 'email', description: 'd' }]);
    expect(() => parseGroupCatalog({})).toThrow(/must be a JSON array of groups/);
    expect(() => parseGroupCatalog([{ id: 0, name: 'a', systemName: 'a', channel: 'email' }])).toThrow(
      expect.objectContaining({ code: 'invalid_catalog', field: '[0].id' }),
    );
    expect(() =>
      parseGroupCatalog([
        { id: 1, name: 'a', systemName: 'a', channel: 'email' },
        { id: 1, name: 'b', systemName: 'b', channel: 'sms' },
      ]),
    ).toThrow(/\[1\]\.id: id 1 is used twice/);
  });

  it("accepts the file's text as well as the parsed value, and says where bad JSON breaks", () => {
    const text = '[{"id": 1, "name": "Новости", "systemName": "news", "channel": "email"}]';
    expect(parseGroupCatalog(text)).toEqual(parseGroupCatalog(JSON.parse(text)));
    expect(() => parseGroupCatalog('[{"id": 1,')).toThrow(
      expect.objectContaining({ code: 'invalid_catalog', message: expect.stringMatching(/not JSON/) }),
    );
    expect(() => parseGroupCatalog('{"groups": []}')).toThrow(/must be a JSON array of groups/);
  });

  it('resolves exact names, then case-insensitive (Cyrillic too), then numeric ids', () => {
    const resolver = new GroupResolver([
      { id: 1, name: 'Новости', systemName: 'news', channel: 'email' },
      { id: 2, name: 'Promo', systemName: 'promo_2024', channel: 'email' },
    ]);
    const id = (name: string) => {
      const result = resolver.resolve(name);
      return result.ok ? result.group.id : result.code;
    };
    expect([id('news'), id('НОВОСТИ'), id('promo'), id('PROMO_2024'), id('2'), id('9'), id('')]).toEqual([
      1,
      1,
      2,
      2,
      2,
      'unknown_group',
      'unknown_group',
    ]);
  });
});
