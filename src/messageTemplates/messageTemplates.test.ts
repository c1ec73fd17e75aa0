/**
 * @module Tests of the message-templates part without a store: lint rules per part, the generated
 * text part (links written out, same URLs as the HTML), SMS, the `.eml`, and the bounded cache.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../links/index.js';
import { parseGroupCatalog } from '../template/index.js';
import {
  buildEml,
  compileMessage,
  createCompiledCache,
  htmlToTextTemplate,
  renderMessage,
  renderMessageJson,
  templateParts,
  type CompiledMessage,
  type TemplateParts,
} from './index.js';

const groups = parseGroupCatalog(JSON.parse(readFileSync('examples/groups.json', 'utf8')));
const options = { keyRing: KeyRing.generate(), baseUrl: 'https://unsub.example.com', now: () => 1.75e12 };

function compiled(parts: TemplateParts): CompiledMessage {
  const result = compileMessage(parts, groups);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.message;
}

function errors(parts: TemplateParts) {
  const result = compileMessage(parts, groups);
  return result.ok ? [] : result.errors.map(({ code, part, line, column }) => ({ code, part, line, column }));
}

describe('lint of a message template', () => {
  it('refuses tags in the subject with their position', () => {
    expect(
      errors({
        channel: 'email',
        subject: 'Hi {{name}}, <<link_unsubscribe>>',
        html: '<<link_unsubscribe>>',
      }),
    ).toEqual([{ code: 'tag_in_subject', part: 'subject', line: 1, column: 14 }]);
  });

  it('needs an unsubscribe link in the HTML and in a hand-written text part', () => {
    expect(
      errors({ channel: 'email', subject: 'Hi', html: '<p>no link</p>', text: 'line\nno link either' }),
    ).toEqual([
      { code: 'missing_unsubscribe', part: 'html', line: 1, column: 1 },
      { code: 'missing_unsubscribe', part: 'text', line: 1, column: 1 },
    ]);
  });

  it('reports invalid Handlebars with line and column in its part', () => {
    expect(
      errors({ channel: 'email', subject: 'Hi', html: '<<link_unsubscribe>>\n\n  {{#if a}}open' }),
    ).toEqual([{ code: 'handlebars_syntax', part: 'html', line: 3, column: expect.any(Number) as number }]);
    expect(
      errors({ channel: 'email', subject: 'Hi {{#each x}}', html: '<<link_unsubscribe>>' })[0],
    ).toMatchObject({
      code: 'handlebars_syntax',
      part: 'subject',
    });
  });

  it('an SMS template is text only', () => {
    expect(() => templateParts({ channel: 'sms', html: '<p>x</p>', text: 'x' })).toThrow(
      expect.objectContaining({ code: 'invalid_input', field: 'html' }),
    );
    const message = compiled(templateParts({ channel: 'sms', text: 'Sale! Stop: <<link_unsubscribe>>' }));
    const rendered = renderMessage(message, { contactId: 3 }, { ...options, channel: 'sms' });
    expect(rendered).toMatchObject({ subject: null, html: null });
    // Compact links: an SMS pays per segment, so every tag becomes /s/CODE (path ≤ 40 characters).
    expect(rendered.text).toMatch(/^Sale! Stop: https:\/\/unsub\.example\.com\/s\/[\w-]+$/);
    expect(new URL(rendered.text.slice(12)).pathname.length).toBeLessThanOrEqual(40);
    // The caller need not say the channel: the template's own is used.
    expect(renderMessage(message, { contactId: 3 }, options).text).toMatch(/\/s\//);
  });

  it('an SMS template: lint warns above one segment, with the rendered length; redirects are refused', () => {
    const short = compileMessage(
      templateParts({ channel: 'sms', text: 'Sale! Stop: <<link_unsubscribe>>' }),
      groups,
    );
    expect(short.warnings).toEqual([]);
    expect(short.sms).toMatchObject({ encoding: 'GSM-7', segments: 1, perSegment: 160 });
    const long = compileMessage(
      templateParts({
        channel: 'sms',
        text: `${'Скидки до 50 % на всё! '.repeat(3)}Отписка: <<link_unsubscribe>>`,
      }),
      groups,
    );
    expect(long.sms).toMatchObject({ encoding: 'UCS-2', segments: 2, perSegment: 67 });
    expect(long.warnings).toEqual([
      expect.objectContaining({
        code: 'sms_segments',
        part: 'text',
        message: expect.stringMatching(/UCS-2/),
      }),
    ]);
    expect(
      errors(
        templateParts({
          channel: 'sms',
          text: "<<UnsubscribeRedirect('https://example.com/bye', 'sms_alerts')>>",
        }),
      ),
    ).toEqual([expect.objectContaining({ code: 'compact_link_redirect', part: 'text' })]);
  });

  it('refuses a template over 512 KB naming its largest part', () => {
    expect(() =>
      templateParts({
        channel: 'email',
        subject: 'x',
        html: 'a'.repeat(400 * 1024),
        text: 'b'.repeat(200 * 1024),
      }),
    ).toThrow(expect.objectContaining({ code: 'template_too_large', field: 'html' }));
  });
});

describe('rendering a message', () => {
  const newsletter = readFileSync('examples/newsletter.hbs', 'utf8');
  const reader = JSON.parse(readFileSync('examples/recipients.ndjson', 'utf8').split('\n')[1]!) as {
    contactId: number;
  };

  it('generates the text part once from the HTML, links written out, same URLs as the HTML', () => {
    const message = compiled({ channel: 'email', subject: 'Weekly for {{first_name}}', html: newsletter });
    expect(message.textSource).toBe('generated');
    const rendered = renderMessage(message, reader, options);
    expect(rendered.subject).toBe('Weekly for Fatima');
    const htmlUrls = [...rendered.html!.matchAll(/https:\/\/unsub\.example\.com\/[um]\/[\w.-]+/g)].map(
      (m) => m[0],
    );
    const textUrls = [...rendered.text.matchAll(/https:\/\/unsub\.example\.com\/[um]\/[\w.-]+/g)].map(
      (m) => m[0],
    );
    expect(htmlUrls.length).toBe(4); // the VIP's redirect link, Unsubscribe('Новости'), manager, all
    expect(textUrls).toEqual(htmlUrls);
    expect(rendered.text).toContain('Young & Co'); // not HTML-escaped in the text part
    expect(rendered.text).toContain('Отписаться от «Новости» [https://unsub.example.com/u/');
    expect(rendered.text).not.toMatch(/[<>]{2}|\{\{/);
    expect(rendered.headers['List-Unsubscribe']).toBe(`<${rendered.links.at(-1)!.url}>`);
  });

  it('the generated text equals converting each rendered HTML, for the example newsletter', async () => {
    const { textFromHtml } = await import('./index.js');
    const message = compiled({ channel: 'email', subject: 'x', html: newsletter });
    const rendered = renderMessage(message, reader, options);
    const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
    expect(squash(rendered.text)).toBe(squash(textFromHtml(rendered.html!)));
  });

  it('the generated text equals converting each rendered HTML, for varied recipients', async () => {
    const { textFromHtml } = await import('./index.js');
    const message = compiled({ channel: 'email', subject: 'x', html: newsletter });
    const examples = readFileSync('examples/recipients.ndjson', 'utf8')
      .split('\n')
      .filter(Boolean)
      .slice(0, 40)
      .map((line) => JSON.parse(line) as { contactId: number });
    // Merge fields with markup, entities, quotes and links of their own; no fields at all.
    const odd = [
      { contactId: 7, first_name: '<b>Tom</b> & "Jerry"', last_name: "O'Neil &amp; Co", city: 'a < b > c' },
      {
        contactId: 8,
        first_name: 'https://evil.example.com/?a=1&b=2',
        articles: [
          {
            title: 'Q&A <live>',
            summary: '5 > 3 & 2 < 4',
            minutes: 1,
            url: 'https://n.example.com/a?x=1&y="2"',
          },
          { title: 'Same', summary: '', minutes: 0, url: 'https://n.example.com/same' },
        ],
        vip: true,
        promo_code: '<<link_unsubscribe>> {{first_name}}',
      },
      { contactId: 9 },
    ];
    const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
    for (const recipient of [...examples, ...odd]) {
      const rendered = renderMessage(message, recipient, options);
      expect(squash(rendered.text), `contact ${recipient.contactId}`).toBe(
        squash(textFromHtml(rendered.html!)),
      );
    }
  });

  it('writes a link out even when a merge field makes its text equal to its href (per render it would not)', () => {
    const message = compiled({
      channel: 'email',
      subject: 'x',
      html: '<a href="{{url}}">{{title}}</a> <a href="<<link_unsubscribe>>">Unsubscribe</a>',
    });
    const url = 'https://n.example.com/same';
    // The template is converted once, before the values are known: the href is kept, which only adds.
    expect(renderMessage(message, { contactId: 1, url, title: url }, options).text).toContain(
      `${url} [${url}]`,
    );
  });

  it('falls back to converting each render when the structure does not survive conversion', () => {
    const html = '<<link_unsubscribe>><img alt="{{#if a}}">x{{/if}}';
    expect(htmlToTextTemplate(html)).not.toContain('{{#if');
    const message = compiled({ channel: 'email', subject: 'x', html });
    expect(message.textSource).toBe('generated-per-render');
    expect(renderMessage(message, { contactId: 1, a: true }, options).text).toMatch(/https:\/\/unsub/);
  });

  it('renderMessageJson is JSON.stringify of renderMessage, byte for byte, for every kind of message', () => {
    const messages = [
      compiled({ channel: 'email', subject: 'Weekly for {{first_name}}\n{{city}}', html: newsletter }),
      compiled({
        channel: 'email',
        subject: '{{first_name}}',
        html: '<p>"{{first_name}}"</p><<link_unsubscribe>>',
        text: '{{first_name}} \\ <<link_unsubscribe_manager>> {{{city}}}',
      }),
      compiled({ channel: 'email', subject: 'x', html: '<<link_unsubscribe>><img alt="{{#if a}}">x{{/if}}' }),
      compiled({ channel: 'sms', text: 'Hi {{first_name}}: stop <<link_unsubscribe>>' }),
    ];
    const recipients = [
      ...readFileSync('examples/recipients.ndjson', 'utf8')
        .split('\n')
        .filter(Boolean)
        .slice(0, 20)
        .map((line) => JSON.parse(line) as { contactId: number }),
      { contactId: 7, first_name: 'Жанна "\\" \u2028\u0001 😀', city: '\ud83d', a: true },
      { contactId: 8, first_name: 5, city: '\ude00 <b>' },
    ];
    for (const message of messages) {
      for (const recipient of recipients) {
        expect(renderMessageJson(message, recipient, options)).toBe(
          JSON.stringify(renderMessage(message, recipient, options)),
        );
        // Members put first, as the templates API's answer lines do.
        expect(renderMessageJson(message, recipient, options, '"line":3,"contactId":9,')).toBe(
          JSON.stringify({ line: 3, contactId: 9, ...renderMessage(message, recipient, options) }),
        );
      }
    }
  });

  it('builds an .eml with RFC 2047 subject, List-Unsubscribe headers and multipart/alternative', async () => {
    const message = compiled({ channel: 'email', subject: 'Привет, {{first_name}}!', html: newsletter });
    const rendered = renderMessage(message, reader, options);
    const eml = (
      await buildEml(rendered, {
        from: 'Northwind <news@northwind.example.com>',
        to: 'reader2@example.com',
        date: new Date(1.75e12),
        messageUid: 'msg-1',
      })
    ).toString('utf8');
    // Unfolded: long header values continue on lines that start with white space.
    const head = (eml.split('\r\n\r\n')[0] ?? '').replace(/\r\n[ \t]+/g, ' ');
    expect(head).toMatch(/^Subject: =\?UTF-8\?[BQ]\?/m);
    expect(head).not.toMatch(/Привет/);
    expect(head).toContain('From: Northwind <news@northwind.example.com>');
    expect(head).toContain('To: reader2@example.com');
    expect(head).toContain('Message-ID: <msg-1@northwind.example.com>');
    expect(head).toContain(`List-Unsubscribe: ${rendered.headers['List-Unsubscribe']}`);
    expect(head).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(head).toMatch(/Content-Type: multipart\/alternative/);
    expect(eml).toMatch(/Content-Type: text\/plain; charset=utf-8/);
    expect(eml).toMatch(/Content-Type: text\/html; charset=utf-8/);
  });
});

describe('the compiled cache', () => {
  it('keeps the most recently used entries within its bounds', () => {
    const cache = createCompiledCache<string>({ maxEntries: 2, maxBytes: 100 });
    cache.set('1:1', 'a', 10);
    cache.set('1:2', 'b', 10);
    expect(cache.get('1:1')).toBe('a');
    cache.set('2:1', 'c', 10);
    expect([cache.get('1:1'), cache.get('1:2'), cache.get('2:1')]).toEqual(['a', undefined, 'c']);
    cache.set('3:1', 'd', 95);
    expect(cache.size).toBe(1);
    cache.deletePrefix('3:');
    expect(cache.size).toBe(0);
  });
});
