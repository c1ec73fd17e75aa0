/**
 * @module Tests of what a template cannot reach: helpers resolved at run time, partials, `log`, and
 * prototype properties (Handlebars' protections stay on); plus the `text` format and shared links.
 */
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../links/index.js';
import { compile, render, type CompiledTemplate } from './index.js';

const keyRing = KeyRing.generate();
const options = { keyRing, baseUrl: 'https://unsub.example.com', now: () => 1_750_000_000_000 };

function compiled(source: string, format: 'html' | 'text' = 'html'): CompiledTemplate {
  const result = compile(source, { format });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.template;
}

function firstError(source: string) {
  const result = compile(source);
  if (result.ok) throw new Error(`${source} compiled`);
  return result.errors[0]!;
}

describe('the template sandbox', () => {
  it('refuses helpers that Handlebars would look up at run time, with their position', () => {
    expect(firstError('<<link_unsubscribe>>\n  {{shout name}}')).toMatchObject({
      code: 'handlebars_syntax',
      line: 2,
      column: 3,
    });
    expect(firstError('<<link_unsubscribe>> {{#repeat 3}}x{{/repeat}}').code).toBe('handlebars_syntax');
    expect(firstError('<<link_unsubscribe>> {{#if (shout name)}}x{{/if}}').message).toContain('shout');
    expect(firstError('<<link_unsubscribe>> {{log "hello"}}').message).toContain('log');
    expect(firstError('<<link_unsubscribe>> {{> footer}}').message).toContain('partials');
    expect(firstError('<<link_unsubscribe>> {{name key=1}}').code).toBe('handlebars_syntax');
    expect(firstError('<<link_unsubscribe>> {{helperMissing}}').message).toContain('not available');
    expect(firstError('<<link_unsubscribe>> {{each}}').message).toContain('one argument');
  });

  it('treats a bare name as data even when a helper of that name exists elsewhere', () => {
    const template = compiled('<<link_unsubscribe>> [{{missing}}] [{{#each items}}{{this}}{{/each}}]');
    const html = render(template, { contactId: 1, items: ['a', 'b'] }, undefined, options).html;
    expect(html).toContain('[] [ab]');
  });

  it('keeps prototype properties out of reach', () => {
    const template = compiled(
      '<<link_unsubscribe>>|{{constructor}}|{{constructor.name}}|{{__proto__}}|{{lookup this "constructor"}}|' +
        '{{#with constructor}}{{name}}{{/with}}|{{toString}}|{{items.constructor.name}}|{{hasOwnProperty}}|',
    );
    const html = render(template, { contactId: 1, items: [] }, undefined, options).html;
    expect(html.slice(html.indexOf('|'))).toBe('|||||||||');
  });

  it('own properties named like prototype members are still data', () => {
    const template = compiled('<<link_unsubscribe>> {{valueOf}}');
    expect(render(template, { contactId: 1, valueOf: 'mine' }, undefined, options).html).toContain('mine');
  });

  it('the text format inserts merge fields unescaped; html escapes them', () => {
    const recipient = { contactId: 1, name: 'Young & Co <Ltd>' };
    expect(render(compiled('{{name}}', 'text'), recipient, undefined, options).html).toBe('Young & Co <Ltd>');
    expect(render(compiled('{{name}}'), recipient, undefined, options).html).toBe(
      'Young &amp; Co &lt;Ltd&gt;',
    );
  });

  it('sharedLinks: a second part reuses the links the first one signed', () => {
    const html = compiled("<a href='<<link_unsubscribe>>'>x</a> <<link_unsubscribe_manager>>");
    const text = compiled('Manage: <<link_unsubscribe_manager>> Stop: <<link_unsubscribe>>', 'text');
    const sharedLinks = new Map<string, string>();
    let signed = 0;
    const counting = new Proxy(keyRing, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property !== 'signLink' || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          signed += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const first = render(html, { contactId: 5 }, undefined, { ...options, keyRing: counting, sharedLinks });
    const second = render(text, { contactId: 5 }, undefined, { ...options, keyRing: counting, sharedLinks });
    expect(signed).toBe(2);
    const body = (links: { url: string; header?: true }[]) =>
      links
        .filter((link) => !link.header)
        .map((link) => link.url)
        .sort();
    expect(body(second.links)).toEqual(body(first.links));
  });
});
