/** @module Tests of `compile`: slots, group resolution, the header slot, Handlebars checks and positions. */
import { describe, expect, it } from 'vitest';
import { compile, type CompiledTemplate, type GroupCatalog } from './index.js';
import { helperCallFor, rewriteTags } from './rewriteTags.js';

const catalog: GroupCatalog = [
  { id: 1, name: 'Новости', systemName: 'news', channel: 'email' },
  { id: 2, name: 'Offers', systemName: 'promo', channel: 'email' },
  { id: 3, name: 'offers', systemName: 'offers_legacy', channel: 'email' },
  { id: 7, name: 'SMS alerts', systemName: 'sms_alerts', channel: 'sms' },
];

function compiled(source: string, groups: GroupCatalog | null = catalog): CompiledTemplate {
  const result = compile(source, groups === null ? {} : { groups });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.template;
}

function errorsOf(source: string, groups: GroupCatalog | null = catalog) {
  const result = compile(source, groups === null ? {} : { groups });
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.errors;
}

describe('compile', () => {
  it('builds one slot per distinct link; equal tags share a slot', () => {
    const template = compiled(
      "<<Unsubscribe('news', 'promo')>> <<Unsubscribe('Offers', 'Новости')>> <<link_unsubscribe>> <<link_unsubscribe>>",
    );
    expect(template.slots).toEqual([
      { action: 'unsubscribe_groups', groupIds: [1, 2] },
      { action: 'unsubscribe', groupIds: [] },
    ]);
    expect(template.headerSlot).toBe(1);
  });

  it('resolves system and display names, exact case first, then case-insensitively', () => {
    const template = compiled("<<Unsubscribe('NEWS')>> <<Unsubscribe('offers')>> <<Unsubscribe('Offers')>>");
    expect(template.slots.map((slot) => slot.groupIds)).toEqual([[1], [3], [2]]);
  });

  it('reports unknown groups with "did you mean" and ambiguous ones', () => {
    expect(errorsOf("x\n <<Unsubscribe('newz')>>")).toEqual([
      expect.objectContaining({
        code: 'unknown_group',
        line: 2,
        column: 16,
        message: expect.stringContaining("did you mean 'news'?"),
      }),
    ]);
    const ambiguous: GroupCatalog = [
      { id: 1, name: 'Deals', systemName: 'a', channel: 'email' },
      { id: 2, name: 'deals', systemName: 'b', channel: 'email' },
    ];
    expect(errorsOf("<<Unsubscribe('DEALS')>>", ambiguous)[0]?.code).toBe('ambiguous_group');
  });

  it('without a catalog accepts numeric ids only', () => {
    expect(compiled("<<Unsubscribe('4', '2')>>", null).slots[0]).toEqual({
      action: 'unsubscribe_groups',
      groupIds: [2, 4],
    });
    expect(errorsOf("<<Unsubscribe('News')>>", null)[0]).toMatchObject({
      code: 'unknown_group',
      hint: expect.stringContaining('--groups'),
    });
  });

  it('chooses the header slot: link_unsubscribe, else the first group tag without redirect, else everything', () => {
    const groupsOnly = compiled(
      "<<UnsubscribeRedirect('https://x.example/bye', 'promo')>> <<Unsubscribe('news')>>",
    );
    expect(groupsOnly.slots[groupsOnly.headerSlot]).toEqual({ action: 'unsubscribe_groups', groupIds: [2] });
    const managerOnly = compiled('<<link_unsubscribe_manager>>');
    expect(managerOnly.slots[managerOnly.headerSlot]).toEqual({ action: 'unsubscribe', groupIds: [] });
  });

  it('normalises redirect URLs to ASCII for the token', () => {
    const template = compiled("<<UnsubscribeRedirect('https://пример.рф/пока', 'news')>>");
    expect(template.slots[0]!.redirectUrl).toBe('https://xn--e1afmkfd.xn--p1ai/%D0%BF%D0%BE%D0%BA%D0%B0');
  });

  it('reports Handlebars syntax errors at their position in the original source', () => {
    const [error] = errorsOf("<<Unsubscribe('news')>> <<link_unsubscribe>> {{foo bar=}}");
    expect(error).toMatchObject({ code: 'handlebars_syntax', line: 1, column: 56 });
    const multiLine = errorsOf("<<Unsubscribe(\n  'news',\n)>> {{#if a}}\n{{/each}}");
    // A mismatched block is reported where it opened: line 3, at `if`.
    expect(multiLine[0]).toMatchObject({ code: 'handlebars_syntax', line: 3, column: 8 });
    expect(errorsOf('<<link_unsubscribe>> {{> footer}}')[0]).toMatchObject({
      code: 'handlebars_syntax',
      column: 22,
    });
    expect(errorsOf('<<link_unsubscribe>> {{#each}}x{{/each}}')[0]?.message).toContain(
      'exactly one argument',
    );
  });

  it('warns about conditional links, merge fields named like tags and mixed channels', () => {
    const result = compile("{{link_unsubscrbe}} <<Unsubscribe('news', 'sms_alerts')>>", { groups: catalog });
    expect(result.warnings.map((w) => w.code)).toEqual(['suspicious_merge_field', 'mixed_channels']);
    const conditional = compile('{{#if a}}<<link_unsubscribe>>{{else}}x{{/if}}');
    expect(conditional.warnings).toEqual([
      expect.objectContaining({ code: 'conditional_unsubscribe', column: 10 }),
    ]);
    expect(compile('{{#if a}}<<link_unsubscribe>>{{/if}}<<link_unsubscribe>>').warnings).toEqual([]);
    expect(errorsOf('{{~link_unsubscribe}}')[0]).toMatchObject({
      code: 'tag_syntax',
      hint: 'write <<link_unsubscribe>>',
    });
  });

  it('reports a template without any link as missing_unsubscribe: an error only when required', () => {
    const lenient = compile('<p>Hello {{name}}</p>');
    expect(lenient.ok && lenient.warnings.map((w) => w.code)).toEqual(['missing_unsubscribe']);
    const strict = compile('<p>Hello {{name}}</p>', { requireUnsubscribe: true });
    expect(!strict.ok && strict.errors[0]).toMatchObject({ code: 'missing_unsubscribe', line: 1, column: 1 });
  });

  it('collects grammar and catalog errors together, sorted', () => {
    const errors = errorsOf("<<Unsubscribe('nope')>>\n<<Unsubscrib('news')>>");
    expect(errors.map((e) => [e.code, e.line])).toEqual([
      ['unknown_group', 1],
      ['unknown_tag', 2],
    ]);
  });
});

describe('rewriteTags', () => {
  it('keeps length and line breaks so positions after a tag do not move', () => {
    const tag = "<<Unsubscribe(\n  'news',\n)>>";
    const call = helperCallFor(tag, 12);
    expect(call).toHaveLength(tag.length);
    expect(call.split('\n')).toHaveLength(3);
    expect(call.replace(/\s+/g, ' ')).toBe('{{unsub_link 12 }}');
    expect(helperCallFor('<<x>>', 3)).toBe('{{unsub_link 3}}');
    expect(rewriteTags('a <<link_unsubscribe>> b', [{ start: 2, end: 22, slot: 0 }])).toBe(
      'a {{unsub_link 0    }} b',
    );
  });
});
