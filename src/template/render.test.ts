/** @module Tests of `render`: merge fields, signed links per slot, headers, blocks, and bad input. */
import { describe, expect, it } from 'vitest';
import { KeyRing, tokenFromLink } from '../links/index.js';
import { compile, render, TemplateError, type CompiledTemplate, type GroupCatalog } from './index.js';

const groups: GroupCatalog = [1, 2, 3, 4, 5].map((id) => ({
  id,
  name: `Group ${id}`,
  systemName: `group_${id}`,
  channel: 'email' as const,
}));
const keyRing = KeyRing.generate();
const baseUrl = 'https://unsub.example.com';
const now = () => 1_750_000_000_000;

function compiled(source: string): CompiledTemplate {
  const result = compile(source, { groups });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.template;
}

function claimsOf(url: string) {
  const verified = keyRing.verifyLink(tokenFromLink(url)!.token);
  if (!verified.ok) throw new Error(verified.reason);
  return verified.claims;
}

describe('render', () => {
  it('escapes merge fields, signs links into attributes and lists every link', () => {
    const template = compiled(
      '<p>Hi {{first_name}}</p><a href="<<Unsubscribe(\'group_1\', \'Group 2\')>>">x</a> <a href="<<link_unsubscribe_manager>>">m</a>',
    );
    const result = render(template, { contactId: 42, first_name: '<Ann & "Bo">' }, undefined, {
      keyRing,
      baseUrl,
      messageUid: 'msg-1',
      now,
    });
    expect(result.html).toContain('<p>Hi &lt;Ann &amp; &quot;Bo&quot;&gt;</p>');
    const hrefs = [...result.html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
    expect(hrefs[0]).toMatch(/^https:\/\/unsub\.example\.com\/u\/[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(hrefs[1]).toMatch(/^https:\/\/unsub\.example\.com\/m\//);
    expect(claimsOf(hrefs[0]!)).toEqual({
      action: 'unsubscribe_groups',
      contactId: 42,
      channel: 'email',
      messageUid: 'msg-1',
      groupIds: [1, 2],
      issuedAt: 1_750_000_000,
    });
    expect(result.links.map((link) => [link.action, link.url === hrefs[0], link.header])).toEqual([
      ['unsubscribe_groups', true, undefined],
      ['manage', false, undefined],
      ['unsubscribe_groups', true, true],
    ]);
  });

  it('puts the RFC 8058 headers on the "everything" link when the template has one', () => {
    const template = compiled("<<Unsubscribe('group_3')>> <<link_unsubscribe>>");
    const result = render(template, { contactId: 7 }, undefined, {
      keyRing,
      baseUrl,
      channel: 'sms',
      links: 'jws',
    });
    const header = result.links.find((link) => link.header)!;
    expect(result.headers).toEqual({
      'List-Unsubscribe': `<${header.url}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
    expect(claimsOf(header.url)).toMatchObject({
      action: 'unsubscribe',
      groupIds: [],
      channel: 'sms',
      contactId: 7,
    });
    expect(result.html).toContain(header.url);
  });

  it('never puts a redirect in the header, and adds a header link to a template without tags', () => {
    const redirect = render(
      compiled("<<UnsubscribeRedirect('https://shop.example/bye', 'group_2')>>"),
      { contactId: 1 },
      undefined,
      { keyRing, baseUrl },
    );
    const header = redirect.links.find((link) => link.header)!;
    expect(header).toMatchObject({ action: 'unsubscribe_groups', groupIds: [2] });
    expect(header.redirectUrl).toBeUndefined();
    expect(claimsOf(header.url).redirectUrl).toBeUndefined();
    const bare = compile('<p>{{x}}</p>');
    const plain = render(bare.ok ? bare.template : (undefined as never), { contactId: 1 }, undefined, {
      keyRing,
      baseUrl,
    });
    expect(plain.links).toEqual([expect.objectContaining({ action: 'unsubscribe', header: true })]);
  });

  it('works inside blocks: one URL per slot per recipient, none for a branch not taken', () => {
    const template = compiled(
      '{{#each items}}<a href="<<link_unsubscribe>>">{{this}}</a>{{/each}}{{#if vip}}<<Unsubscribe(\'group_4\')>>{{/if}}',
    );
    const result = render(template, { contactId: 5, items: ['a', 'b', 'c'], vip: false }, undefined, {
      keyRing,
      baseUrl,
    });
    const hrefs = [...result.html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
    expect(hrefs).toHaveLength(3);
    expect(new Set(hrefs).size).toBe(1);
    expect(result.links.map((link) => link.action)).toEqual(['unsubscribe', 'unsubscribe']);
    const vip = render(template, { contactId: 5, items: [], vip: true }, undefined, { keyRing, baseUrl });
    expect(vip.links.map((link) => link.action)).toEqual(['unsubscribe_groups', 'unsubscribe']);
  });

  it('merges data under the recipient (the recipient wins) and keeps contacts apart', () => {
    const template = compiled('{{greeting}} {{name}} <<link_unsubscribe>>');
    const data = { greeting: 'Hello', name: 'data', contactId: 999 };
    const first = render(template, { contactId: 1, name: 'Ann' }, data, { keyRing, baseUrl });
    const second = render(template, { contactId: 2, name: 'Bob' }, data, { keyRing, baseUrl });
    expect(first.html.startsWith('Hello Ann ')).toBe(true);
    expect(claimsOf(first.links[0]!.url).contactId).toBe(1);
    expect(claimsOf(second.links[0]!.url).contactId).toBe(2);
  });

  it('keeps an UnsubscribeRedirect token with five groups under 400 characters', () => {
    const template = compiled(
      "<<UnsubscribeRedirect('https://shop.example.com/goodbye?from=newsletter', 'group_1', 'group_2', 'group_3', 'group_4', 'group_5')>>",
    );
    const result = render(template, { contactId: 123_456_789 }, undefined, {
      keyRing,
      baseUrl,
      messageUid: '7f3c2a9e-5b1d-4e8f-9a6c-0d2e4f6a8b1c',
    });
    const link = result.links[0]!;
    expect(link.groupIds).toEqual([1, 2, 3, 4, 5]);
    expect(tokenFromLink(link.url)!.token.length).toBeLessThanOrEqual(400);
    expect(claimsOf(link.url).redirectUrl).toBe('https://shop.example.com/goodbye?from=newsletter');
  });

  it('refuses a recipient without a positive integer contactId, and missing options', () => {
    const template = compiled('<<link_unsubscribe>>');
    for (const contactId of [0, -1, 1.5, '7', undefined, Number.MAX_SAFE_INTEGER + 1]) {
      expect(() => render(template, { contactId } as never, undefined, { keyRing, baseUrl })).toThrow(
        expect.objectContaining({ code: 'invalid_recipient', field: 'contactId' }),
      );
    }
    expect(() => render(template, { contactId: 1 }, undefined, { baseUrl } as never)).toThrow(TemplateError);
  });
});

describe('render: the link locale (claim l)', () => {
  const template = compiled('<a href="<<link_unsubscribe_manager>>">m</a>');
  const localeOf = (recipient: Record<string, unknown>, locale?: string) =>
    claimsOf(
      render(template, { contactId: 1, ...recipient }, undefined, {
        keyRing,
        baseUrl,
        now,
        ...(locale ? { locale } : {}),
      }).links[0]!.url,
    ).locale;

  it("comes from the recipient's lang or locale field, else the option, matched to a supported locale", () => {
    expect(localeOf({})).toBeUndefined();
    expect(localeOf({ lang: 'ru-RU' })).toBe('ru');
    expect(localeOf({ locale: 'pt' })).toBe('pt-BR');
    expect(localeOf({}, 'de-AT')).toBe('de');
    expect(localeOf({ lang: 'uk' }, 'de')).toBe('uk');
    expect(localeOf({ lang: 'sv' }, 'ja')).toBe('ja');
    expect(localeOf({ lang: 'sv' })).toBeUndefined();
    expect(localeOf({ lang: 42, locale: '<script>' })).toBeUndefined();
  });
});
