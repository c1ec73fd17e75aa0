/**
 * @module Property test: `renderJson` gives exactly `JSON.stringify` of `render`'s HTML, with the
 * same links and headers, for varied templates (blocks, loops, triple-stash, text format, SMS) and
 * recipients whose fields hold quotes, backslashes, control characters, U+2028/2029, lone and split
 * surrogates, emoji and Cyrillic.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../links/index.js';
import {
  compile,
  headersJson,
  linksJson,
  render,
  renderJson,
  type CompileOptions,
  type Recipient,
  type RenderedLink,
} from './index.js';

const keyRing = KeyRing.generate();
const baseUrl = 'https://links.example.org/base';
const now = () => 1_800_000_000_000;

/** Characters that escaping treats specially, and ordinary ones. */
const awkward = fc.constantFrom(
  '"',
  '\\',
  '\n',
  '\r',
  '\t',
  '\u0000',
  '\u001f',
  '\u007f',
  '\u2028',
  '\u2029',
  '\ud83d', // a high surrogate alone (or the first half of a pair split between pieces)
  '\ude00', // a low one
  '😀',
  'Ж',
  'ё',
  '<',
  '>',
  '&',
  "'",
  '`',
  '=',
  ' ',
  '{',
  '}',
  'a',
  'Z',
  '0',
);
const text = fc.array(awkward, { maxLength: 12 }).map((parts) => parts.join(''));
const value = fc.oneof(
  text,
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
  fc.array(text, { maxLength: 3 }),
  fc.record({ a: text }),
);

/** Template pieces: static text (with awkward characters too), merge fields, blocks, tags. */
const piece = fc.oneof(
  text,
  fc.constantFrom(
    '{{name}}',
    '{{{name}}}',
    '{{&name}}',
    '{{note}}',
    '{{list}}',
    '{{obj.a}}',
    '{{#if name}}yes "{{name}}"{{else}}no\\{{/if}}',
    '{{#each list}}[{{this}}|{{@index}}]{{/each}}',
    '{{#each list as |item|}}<{{item}}>{{/each}}',
    '{{#with obj}}{{a}}{{/with}}',
    '{{#unless note}}\n  none\n{{/unless}}\n',
    '{{lookup obj "a"}}',
    '{{{lookup obj "a"}}}',
    '{{#if name}}{{{name}}}{{/if}}',
    '{{#if name}}{{#unless note}}{{{note}}}{{/unless}}{{else}}{{{obj}}}{{/if}}',
    '{{#with obj}}{{{a}}}{{/with}}',
    '{{{list}}}',
    '{{~name~}}',
    '  {{#if note}}  \n{{note}}\n  {{/if}}  \n',
    '{{! a comment }}',
    '{{"a \\"quoted\\" <literal>"}}',
    '{{{1}}}',
    '{{true}}',
    '{{{null}}}',
    '{{#if name}}{{{1}}}{{/if}}',
    '<<link_unsubscribe>>',
    '<a href="<<link_unsubscribe_manager>>">manage</a>',
  ),
);

const options = fc.constantFrom<CompileOptions>({}, { format: 'text' }, { channel: 'sms' });

function compareFor(source: string, compileOptions: CompileOptions, recipient: Recipient): boolean {
  const compiled = compile(source, compileOptions);
  if (!compiled.ok) return false;
  const renderOptions = {
    keyRing,
    baseUrl,
    now,
    ...(compileOptions.channel === undefined ? {} : { channel: compileOptions.channel }),
  };
  const plain = render(compiled.template, recipient, undefined, renderOptions);
  const json = renderJson(compiled.template, recipient, undefined, renderOptions);
  expect(json.json).toBe(JSON.stringify(plain.html));
  expect(json.headers).toEqual(plain.headers);
  expect(json.links).toEqual(plain.links);
  expect(headersJson(json.headers)).toBe(JSON.stringify(plain.headers));
  expect(linksJson(json.links)).toBe(JSON.stringify(plain.links));
  return compiled.template.runJson !== undefined;
}

describe('renderJson', () => {
  it('is JSON.stringify of render’s HTML for any template and recipient', () => {
    let withVariant = 0;
    fc.assert(
      fc.property(
        fc.array(piece, { minLength: 1, maxLength: 10 }),
        options,
        fc.record({ name: value, note: value, list: fc.array(value, { maxLength: 3 }), obj: value }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        (pieces, compileOptions, fields, contactId) => {
          // Tags make the link; a template without one still compiles (a warning).
          // Fields as the CLI and the API get them: from JSON.parse (no null-prototype objects).
          const recipient = JSON.parse(JSON.stringify({ ...fields, contactId })) as Recipient;
          if (compareFor(pieces.join(''), compileOptions, recipient)) withVariant++;
        },
      ),
      { numRuns: 600 },
    );
    // Many templates must get the variant (about half do: lone surrogates at the edges of static text
    // and Handlebars syntax errors take the rest), or the test would only check the fallback.
    expect(withVariant).toBeGreaterThan(150);
  });

  it('falls back when a value and the template split a surrogate pair', () => {
    const compiled = compile('<<link_unsubscribe>>x\ud83d{{name}}\ude00', {});
    expect(compiled.ok && compiled.template.runJson).toBeUndefined();
    const template = compile('<<link_unsubscribe>>{{{a}}}{{{b}}}|{{a}}{{b}}');
    expect(template.ok && template.template.runJson).toBeTypeOf('function');
    for (const recipient of [
      { contactId: 1, a: 'x\ud83d', b: '\ude00y' },
      { contactId: 2, a: '\ud83d', b: 'y' },
      { contactId: 3, a: '😀', b: '\u2028"\\' },
    ]) {
      expect(compareFor('<<link_unsubscribe>>{{{a}}}{{{b}}}|{{a}}{{b}}', {}, recipient)).toBe(true);
    }
  });

  it('reads a merge field named like the escapers from the data', () => {
    const cases: [string, Recipient][] = [
      ['<<link_unsubscribe>>{{unsub_json}}|{{{unsub_json}}}', { contactId: 4, unsub_json: '<b>"x"</b>' }],
      ['<<link_unsubscribe>>{{unsub_json.html}}', { contactId: 5, unsub_json: { html: '<b>"x"</b>' } }],
    ];
    for (const [source, recipient] of cases) {
      expect(compareFor(source, {}, recipient)).toBe(true);
      const compiled = compile(source);
      if (!compiled.ok) throw new Error('does not compile');
      expect(renderJson(compiled.template, recipient, undefined, { keyRing, baseUrl, now }).json).toContain(
        '&lt;b&gt;&quot;x&quot;&lt;/b&gt;',
      );
    }
  });

  it('writes headers and links as JSON.stringify does, whatever their text', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record(
            {
              url: text,
              action: fc.constantFrom('unsubscribe', 'unsubscribe_groups', 'manage', 'unsubscribe_redirect'),
              groupIds: fc.array(fc.integer({ min: 1, max: 2 ** 40 }), { maxLength: 3 }),
              redirectUrl: text,
              header: fc.constant(true as const),
            },
            { requiredKeys: ['url', 'action', 'groupIds'] },
          ),
          { maxLength: 4 },
        ),
        text,
        (links, url) => {
          expect(linksJson(links as RenderedLink[])).toBe(JSON.stringify(links));
          const headers = {
            'List-Unsubscribe': `<${url}>`,
            'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' as const,
          };
          expect(headersJson(headers)).toBe(JSON.stringify(headers));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives the example templates their variant', () => {
    for (const name of ['newsletter.hbs']) {
      const source = readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8');
      const groups = JSON.parse(
        readFileSync(new URL('../../examples/groups.json', import.meta.url), 'utf8'),
      ) as CompileOptions['groups'];
      const compiled = compile(source, { groups });
      expect(compiled.ok && compiled.template.runJson).toBeTypeOf('function');
      const recipient = { contactId: 7, email: 'a"b@example.com', first_name: 'Жанна \\ 😀\u2028' };
      if (!compiled.ok) continue;
      const options = { keyRing, baseUrl, now };
      expect(renderJson(compiled.template, recipient, undefined, options).json).toBe(
        JSON.stringify(render(compiled.template, recipient, undefined, options).html),
      );
    }
  });
});
