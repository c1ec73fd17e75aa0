/** @module Property tests of the tag grammar: no input makes it throw; printed tags parse back to themselves. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTemplate, type TagNode } from './index.js';

/** Fragments that exercise the lexer's edges, mixed with arbitrary Unicode. */
const fragment = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom(
    '<<',
    '>>',
    '{{',
    '}}',
    '}}}',
    '{{{',
    '(',
    ')',
    ',',
    "'",
    '"',
    '\\',
    '\\u',
    '\n',
    ' ',
    'link_unsubscribe',
    'link_unsubscribe_manager',
    'Unsubscribe',
    'UnsubscribeRedirect',
    "('a')",
    "'https://x.io'",
    '{{#if a}}',
    '{{/if}}',
    'Новости',
  ),
);

describe('parseTemplate properties', () => {
  it('never throws, and its problems carry positive line and column', () => {
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 30 }), (parts) => {
        const source = parts.join('');
        const { ast, errors, warnings } = parseTemplate(source);
        for (const problem of [...errors, ...warnings]) {
          expect(problem.line).toBeGreaterThanOrEqual(1);
          expect(problem.column).toBeGreaterThanOrEqual(1);
          expect(problem.code).toMatch(/^[a-z_]+$/);
        }
        if (errors.length === 0) {
          // Without errors, text and tags cover the source exactly.
          expect(ast.nodes.map((node) => source.slice(node.start, node.end)).join('')).toBe(source);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('prints and parses back any valid tag', () => {
    const groupName = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
      .filter((name) => name.normalize('NFC').trim() !== '' && name === name.normalize('NFC').trim());
    const quote = (text: string, q: string) =>
      q +
      text
        .replace(/\\/g, '\\\\')
        .replace(new RegExp(q, 'g'), `\\${q}`)
        .replace(/\r/g, '\\r')
        .replace(/\n/g, '\\n') +
      q;
    const tag = fc.record({
      name: fc.constantFrom(
        'link_unsubscribe',
        'link_unsubscribe_manager',
        'Unsubscribe',
        'UnsubscribeRedirect',
      ),
      groups: fc.uniqueArray(groupName, { minLength: 1, maxLength: 5 }),
      quote: fc.constantFrom("'", '"'),
      form: fc.constantFrom(['<<', '>>'], ['{{', '}}']),
      space: fc.constantFrom('', ' ', '\n  '),
    });
    fc.assert(
      fc.property(tag, ({ name, groups, quote: q, form, space }) => {
        const withGroups = name === 'Unsubscribe' || name === 'UnsubscribeRedirect';
        const args = name === 'UnsubscribeRedirect' ? ['https://example.com/bye', ...groups] : groups;
        const call = withGroups ? `${name}(${space}${args.map((a) => quote(a, q)).join(`,${space}`)})` : name;
        const source = `before ${form[0]}${call}${form[1]} after`;
        const { ast, errors } = parseTemplate(source);
        expect(errors).toEqual([]);
        const parsed = ast.nodes.filter((node): node is TagNode => node.kind === 'tag');
        expect(parsed).toHaveLength(1);
        expect(parsed[0]!.name).toBe(name);
        expect(parsed[0]!.groups.map((g) => g.name)).toEqual(withGroups ? groups : []);
      }),
      { numRuns: 500 },
    );
  });
});
