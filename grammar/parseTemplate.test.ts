/** @module Unit tests of the tag grammar: every tag form, text that merely looks like a tag, and each error code. */
import { describe, expect, it } from 'vitest';
import { parseTemplate, type TagError, type TagNode } from './index.js';

function tags(source: string): TagNode[] {
  const result = parseTemplate(source);
  expect(result.errors).toEqual([]);
  return result.ast.nodes.filter((node): node is TagNode => node.kind === 'tag');
}

function onlyError(source: string): TagError {
  const { errors } = parseTemplate(source);
  expect(errors).toHaveLength(1);
  return errors[0]!;
}

describe('parseTemplate: valid tags', () => {
  it('parses the four tag kinds with their actions, groups and redirect URL', () => {
    const found = tags(
      `<a href="<<link_unsubscribe>>">x</a> <<link_unsubscribe_manager>>
       <<Unsubscribe('News', "Promo")>> <<UnsubscribeRedirect('https://example.com/bye?a=1', 'News')>>`,
    );
    expect(
      found.map((tag) => [tag.name, tag.action, tag.groups.map((g) => g.name), tag.redirectUrl]),
    ).toEqual([
      ['link_unsubscribe', 'unsubscribe', [], undefined],
      ['link_unsubscribe_manager', 'manage', [], undefined],
      ['Unsubscribe', 'unsubscribe_groups', ['News', 'Promo'], undefined],
      ['UnsubscribeRedirect', 'unsubscribe_redirect', ['News'], 'https://example.com/bye?a=1'],
    ]);
  });

  it('accepts the seed {{…}} form, the triple stash and the manager alias (with a warning)', () => {
    const result = parseTemplate(
      '{{link_unsubscribe}} {{ Unsubscribe("A") }} {{{link_unsubscribe_manager}}} <<link_unsubscribe_unsubscribe_manager>>',
    );
    expect(result.errors).toEqual([]);
    const found = result.ast.nodes.filter((node): node is TagNode => node.kind === 'tag');
    expect(found.map((tag) => [tag.name, tag.form])).toEqual([
      ['link_unsubscribe', 'brace'],
      ['Unsubscribe', 'brace'],
      ['link_unsubscribe_manager', 'triple'],
      ['link_unsubscribe_manager', 'angle'],
    ]);
    expect(found[3]!.writtenName).toBe('link_unsubscribe_unsubscribe_manager');
    expect(result.warnings.map((w) => [w.code, w.line, w.column])).toEqual([['alias_tag', 1, 78]]);
  });

  it('decodes escapes, keeps Cyrillic, allows spaces, line breaks and a trailing comma', () => {
    const [tag] = tags(`<<Unsubscribe(\n  'Новости',\n  "it\\'s \\"q\\" \\u0041\\u{1F600}\\\\",\n)>>`);
    expect(tag!.groups.map((g) => g.name)).toEqual(['Новости', 'it\'s "q" A😀\\']);
    expect(tag!.groups.map((g) => [g.position.line, g.position.column])).toEqual([
      [2, 3],
      [3, 3],
    ]);
  });

  it('records offsets so that text and tags cover the source exactly', () => {
    const source = "Hi {{first_name}},\n<<Unsubscribe('a')>> and {{#if x}}<<link_unsubscribe>>{{/if}} end";
    const { ast } = parseTemplate(source);
    let rebuilt = '';
    for (const node of ast.nodes) rebuilt += source.slice(node.start, node.end);
    expect(rebuilt).toBe(source);
    const texts = ast.nodes.filter((node) => node.kind === 'text').map((node) => node.text);
    expect(texts).toEqual(['Hi {{first_name}},\n', ' and {{#if x}}', '{{/if}} end']);
    const first = ast.nodes.find((node) => node.kind === 'tag')!;
    expect(first.position).toEqual({ offset: 19, line: 2, column: 1 });
  });

  it('leaves text that only looks like a tag alone', () => {
    for (const source of [
      'a << b',
      'x<<y',
      'shift 1 << 2 >> 1',
      '<<',
      '<<<',
      '{{link_unsubscribe_foo}}',
      '{{first_name}} {{#each items}}{{name}}{{/each}}',
      '\\{{link_unsubscribe}}',
      '«Новости» <<Новости>>',
    ]) {
      const result = parseTemplate(source);
      expect(result.errors, source).toEqual([]);
      expect(
        result.ast.nodes.every((node) => node.kind === 'text'),
        source,
      ).toBe(true);
    }
  });
});

describe('parseTemplate: errors', () => {
  it('unknown tag name, with a "did you mean" when one is close', () => {
    expect(onlyError("x\n  <<Unsubscrib('a')>>")).toMatchObject({
      code: 'unknown_tag',
      line: 2,
      column: 5,
      message: expect.stringContaining('did you mean <<Unsubscribe>>?'),
    });
    expect(onlyError('<<link_unsubscribe_manger>>').message).toContain('<<link_unsubscribe_manager>>');
    const far = onlyError('<<FirstName>>');
    expect(far.message).not.toContain('did you mean');
    expect(far.hint).toContain('&lt;&lt;');
  });

  it('unterminated tag, pointing at its opener', () => {
    expect(onlyError('a\n<<link_unsubscribe\nHello there.')).toMatchObject({
      code: 'unterminated_tag',
      line: 2,
      column: 1,
    });
    expect(onlyError("<<Unsubscribe('a',")).toMatchObject({ code: 'unterminated_tag', line: 1, column: 1 });
    // A broken tag does not swallow the next one.
    const { errors, ast } = parseTemplate("<<link_unsubscribe <<Unsubscribe('a')>>");
    expect(errors.map((e) => e.code)).toEqual(['unterminated_tag']);
    expect(ast.nodes.filter((node) => node.kind === 'tag')).toHaveLength(1);
  });

  it('unterminated string, at its quote', () => {
    expect(onlyError("<<Unsubscribe('News)>>\n<p>ok</p>")).toMatchObject({
      code: 'unterminated_string',
      line: 1,
      column: 15,
    });
  });

  it('missing and extra arguments', () => {
    expect(onlyError('<<Unsubscribe>>').code).toBe('missing_argument');
    expect(onlyError('<<Unsubscribe()>>').code).toBe('missing_argument');
    expect(onlyError('<<UnsubscribeRedirect()>>').code).toBe('missing_argument');
    expect(onlyError("<<UnsubscribeRedirect('https://example.com')>>").code).toBe('missing_argument');
    expect(onlyError("<<link_unsubscribe('News')>>")).toMatchObject({ code: 'extra_argument', column: 20 });
    expect(onlyError("<<link_unsubscribe_manager('a')>>").code).toBe('extra_argument');
  });

  it('refuses redirect URLs that are not absolute http(s)', () => {
    for (const url of [
      'javascript:alert(1)',
      '/relative',
      '//example.com/x',
      'ftp://example.com',
      'https://',
      'https://a b',
    ]) {
      const error = onlyError(`<<UnsubscribeRedirect('${url}', 'News')>>`);
      expect(error.code, url).toBe('invalid_redirect_url');
      expect(error.column).toBe(23);
    }
    expect(tags("<<UnsubscribeRedirect('HTTP://Example.com', 'a')>>")).toHaveLength(1);
  });

  it('empty group names and the seed’s stray brace', () => {
    expect(onlyError("<<Unsubscribe('a', '  ')>>")).toMatchObject({ code: 'empty_group_name', column: 20 });
    expect(onlyError('<p>{{link_unsubscribe}}}</p>')).toMatchObject({
      code: 'stray_brace',
      line: 1,
      column: 24,
      hint: expect.stringContaining('}}}'),
    });
  });

  it('syntax inside the argument list, invalid escapes, and a warning for a repeated group', () => {
    expect(onlyError("<<Unsubscribe('a' 'b')>>")).toMatchObject({ code: 'tag_syntax', column: 19 });
    expect(onlyError('<<Unsubscribe(News)>>')).toMatchObject({
      code: 'tag_syntax',
      hint: expect.stringContaining("'News'"),
    });
    expect(onlyError("{{Unsubscribe 'a'}}")).toMatchObject({
      code: 'tag_syntax',
      hint: "arguments go in parentheses: {{Unsubscribe('a')}}",
    });
    expect(onlyError("<<Unsubscribe('a',,'b')>>").code).toBe('tag_syntax');
    expect(onlyError("<<Unsubscribe('\\u12')>>")).toMatchObject({ code: 'invalid_escape', column: 16 });
    const result = parseTemplate("<<Unsubscribe('a', 'a')>>");
    expect(result.errors).toEqual([]);
    expect(result.warnings.map((w) => w.code)).toEqual(['duplicate_group']);
  });

  it('reports every broken tag, sorted by position', () => {
    const { errors } = parseTemplate(
      "<<Unsubscribe()>>\n<<foo>>\n{{link_unsubscribe}}}\n<<UnsubscribeRedirect('x', 'a')>>",
    );
    expect(errors.map((e) => [e.code, e.line])).toEqual([
      ['missing_argument', 1],
      ['unknown_tag', 2],
      ['stray_brace', 3],
      ['invalid_redirect_url', 4],
    ]);
  });

  it('throws only for a programmer error', () => {
    expect(() => parseTemplate(42 as unknown as string)).toThrow(TypeError);
  });
});
