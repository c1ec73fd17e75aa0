/** @module Tests of SMS templates: compact links, the tags they refuse, plain-text merge fields, SMS length. */
import { describe, expect, it } from 'vitest';
import { KeyRing, tokenFromLink } from '../links/index.js';
import {
  compile,
  measureSms,
  measureSmsTemplate,
  render,
  TemplateError,
  type CompiledTemplate,
  type GroupCatalog,
} from './index.js';

const groups: GroupCatalog = [1, 2, 3, 4].map((id) => ({
  id,
  name: `Группа ${id}`,
  systemName: `sms_${id}`,
  channel: 'sms' as const,
}));
const keyRing = KeyRing.generate();
const baseUrl = 'https://u.example.com';

function smsTemplate(source: string): CompiledTemplate {
  const result = compile(source, { groups, channel: 'sms' });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.template;
}

describe('SMS templates', () => {
  it('render every tag as a compact /s/ link that verifies, within 40 characters of path', () => {
    const template = smsTemplate(
      "Sale! Stop: <<link_unsubscribe>> Pick: <<link_unsubscribe_manager>> <<Unsubscribe('sms_3','sms_1','sms_2')>>",
    );
    const result = render(template, { contactId: 123_456 }, undefined, { keyRing, baseUrl, channel: 'sms' });
    const urls = result.html.match(/https:\/\/\S+/g)!;
    expect(urls).toHaveLength(3);
    const claims = urls.map((url) => {
      expect(new URL(url).pathname.length).toBeLessThanOrEqual(40);
      const found = tokenFromLink(url)!;
      expect(found.page).toBe('s');
      const verified = keyRing.verifyCompactLink(found.token);
      if (!verified.ok) throw new Error(verified.reason);
      return verified.claims;
    });
    expect(claims.map((c) => [c.action, c.channel, c.contactId, c.groupIds])).toEqual([
      ['unsubscribe', 'sms', 123_456, []],
      ['manage', 'sms', 123_456, []],
      ['unsubscribe_groups', 'sms', 123_456, [1, 2, 3]],
    ]);
    expect(result.headers['List-Unsubscribe']).toBe(`<${urls[0]}>`);
  });

  it('refuse UnsubscribeRedirect and more than three groups, with line and column', () => {
    const result = compile(
      "Hi\n<<UnsubscribeRedirect('https://shop.example/bye', 'sms_1')>>\n  <<Unsubscribe('sms_1','sms_2','sms_3','sms_4')>>",
      { groups, channel: 'sms' },
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((e) => [e.code, e.line, e.column])).toEqual([
      ['compact_link_redirect', 2, 1],
      ['compact_link_groups', 3, 3],
    ]);
    // The same tags are fine in an e-mail template.
    expect(compile("<<UnsubscribeRedirect('https://shop.example/bye', 'sms_1')>>", { groups }).ok).toBe(true);
  });

  it('refuse e-mail groups in an SMS template', () => {
    const catalog: GroupCatalog = [...groups, { id: 9, name: 'News', systemName: 'news', channel: 'email' }];
    const result = compile("<<Unsubscribe('sms_1', 'News')>>", { groups: catalog, channel: 'sms' });
    expect(!result.ok && result.errors.map((e) => [e.code, e.line, e.column])).toEqual([
      ['wrong_channel', 1, 24],
    ]);
    expect(compile("<<Unsubscribe('sms_1', 'News')>>", { groups: catalog }).ok).toBe(true);
  });

  it('offer compact links on any channel, and refuse them for a template that cannot have them', () => {
    const email = compile('<a href="<<link_unsubscribe>>">x</a>', { groups, links: 'compact' });
    if (!email.ok) throw new Error('does not compile');
    const html = render(email.template, { contactId: 5 }, undefined, {
      keyRing,
      baseUrl,
      links: 'compact',
    }).html;
    expect(html).toMatch(/href="https:\/\/u\.example\.com\/s\/[A-Za-z0-9_-]+"/);
    const redirect = compile("<<UnsubscribeRedirect('https://shop.example/bye', 'sms_1')>>", { groups });
    if (!redirect.ok) throw new Error('does not compile');
    expect(() =>
      render(redirect.template, { contactId: 5 }, undefined, { keyRing, baseUrl, channel: 'sms' }),
    ).toThrow(TemplateError);
  });

  it('put merge fields in as written (an SMS is not HTML)', () => {
    const template = smsTemplate('{{shop}}: <<link_unsubscribe>>');
    const html = render(
      template,
      { contactId: 1 },
      { shop: 'Tom & Jerry <3' },
      { keyRing, baseUrl, channel: 'sms' },
    ).html;
    expect(html.startsWith('Tom & Jerry <3: https://')).toBe(true);
  });
});

describe('measureSms', () => {
  it('counts GSM-7 in 160/153 and its extension characters as two', () => {
    expect(measureSms('a'.repeat(160))).toEqual({
      characters: 160,
      encoding: 'GSM-7',
      segments: 1,
      perSegment: 160,
    });
    expect(measureSms('a'.repeat(161))).toEqual({
      characters: 161,
      encoding: 'GSM-7',
      segments: 2,
      perSegment: 153,
    });
    expect(measureSms('a'.repeat(307)).segments).toBe(3);
    expect(measureSms('€[]')).toMatchObject({ characters: 6, encoding: 'GSM-7' });
    expect(measureSms('Ça coûte 5 £ @ Øre')).toMatchObject({ encoding: 'UCS-2' }); // û is not GSM-7
    expect(measureSms('Ça va, 5 £ @ Øre')).toMatchObject({ encoding: 'GSM-7', characters: 16 });
  });

  it('switches to UCS-2 (70/67) for any character outside GSM-7, e.g. Cyrillic', () => {
    expect(measureSms('Я'.repeat(70))).toEqual({
      characters: 70,
      encoding: 'UCS-2',
      segments: 1,
      perSegment: 70,
    });
    expect(measureSms(`${'a'.repeat(70)}Я`)).toEqual({
      characters: 71,
      encoding: 'UCS-2',
      segments: 2,
      perSegment: 67,
    });
    expect(measureSms('😀').characters).toBe(2);
  });

  it('measures a rendered SMS template and warns above one segment', () => {
    const short = measureSmsTemplate(smsTemplate('Stop: <<link_unsubscribe>>'), { baseUrl });
    expect(short).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(short.warning).toBeUndefined();
    expect(short.characters).toBe(short.text.length);
    const long = measureSmsTemplate(smsTemplate('Привет, {{name}}! Отписаться: <<link_unsubscribe>>'), {
      baseUrl,
      data: { name: 'Анастасия Александровна' },
    });
    expect(long).toMatchObject({ encoding: 'UCS-2', segments: 2 });
    expect(long.warning).toMatchObject({ code: 'sms_segments', line: 1, column: 1 });
    expect(long.warning?.message).toContain('2 SMS segments of 67');
  });
});
