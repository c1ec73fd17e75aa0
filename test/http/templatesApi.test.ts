/**
 * @module The templates API over HTTP on every available store backend: lint, save (refused with
 * the lint errors), versions and re-activation, render as JSON and `.eml`, the NDJSON batch, and
 * the bad-input answers (413, 422 with line:column, 404, 415).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test, vi } from 'vitest';
import { tokenFromLink } from '../../src/links/index.js';
import { testBackends } from '../support/databases.js';
import { startTemplatesApi } from './templatesHarness.js';

const backends = await testBackends('the PostgreSQL templates API suite');
// The harness has the groups news, offers and sms_alerts.
const newsletter = readFileSync('examples/newsletter.hbs', 'utf8').replace("'promo', 'events'", "'offers'");
const weekly = {
  name: 'Weekly',
  subject: 'Новости недели для {{first_name}}',
  html: "<p>Hi {{first_name}}</p><a href='<<link_unsubscribe>>'>Unsubscribe</a> <a href=\"<<Unsubscribe('news')>>\">News only</a>",
};

describe.each(backends)('templates API on $name', (backend) => {
  test('lint reports problems with part, line and column; nothing is saved', async (context) => {
    const { api } = await startTemplatesApi(context, backend);
    const answer = await api('POST', '/templates/lint', {
      subject: 'Hello <<link_unsubscribe>>',
      html: '<p>\n  {{#if vip}}VIP</p>',
      text: 'no link here',
    });
    expect(answer.status).toBe(200);
    expect(
      answer.body.errors.map((e: { code: string; part: string; line: number }) => [e.part, e.code, e.line]),
    ).toEqual([
      ['subject', 'tag_in_subject', 1],
      ['html', 'missing_unsubscribe', 1],
      ['html', 'handlebars_syntax', 2],
      ['text', 'missing_unsubscribe', 1],
    ]);
    expect(answer.body.errors[0].column).toBe(7);
    expect((await api('GET', '/templates')).body).toEqual({ templates: [] });
    const clean = await api('POST', '/templates/lint', { subject: 'Hi', html: weekly.html });
    expect(clean.body).toEqual({ errors: [], warnings: [] });
  });

  test('save, new version, read any version, versions, re-activate, delete', async (context) => {
    const { api, store } = await startTemplatesApi(context, backend);
    const created = await api('POST', '/templates', weekly);
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/api/templates/${created.body.id}`);
    expect(created.body).toMatchObject({
      version: 1,
      activeVersion: 1,
      channel: 'email',
      text: null,
      warnings: [],
    });
    const id = created.body.id as number;
    const second = await api('PUT', `/templates/${id}`, { ...weekly, subject: 'v2 {{first_name}}' });
    expect(second.body).toMatchObject({ id, version: 2, activeVersion: 2, subject: 'v2 {{first_name}}' });
    expect((await api('GET', `/templates/${id}`)).body.version).toBe(2);
    expect((await api('GET', `/templates/${id}?version=1`)).body).toMatchObject({
      version: 1,
      activeVersion: 2,
    });
    expect((await api('GET', `/templates/${id}?version=9`)).body.error).toMatchObject({
      code: 'template_version_not_found',
      field: 'version',
    });
    const versions = await api('GET', `/templates/${id}/versions`);
    expect(
      versions.body.versions.map((v: { version: number; active: boolean }) => [v.version, v.active]),
    ).toEqual([
      [2, true],
      [1, false],
    ]);
    const activated = await api('POST', `/templates/${id}/activate`, { version: 1 });
    expect(activated.body).toMatchObject({ version: 1, activeVersion: 1, subject: weekly.subject });
    expect(
      (await api('GET', '/templates')).body.templates.map((t: { id: number; version: number }) => [
        t.id,
        t.version,
      ]),
    ).toEqual([[id, 1]]);
    expect((await api('POST', `/templates/${id}/activate`, { version: 5 })).status).toBe(404);
    expect((await api('DELETE', `/templates/${id}`)).status).toBe(204);
    expect((await api('GET', `/templates/${id}`)).status).toBe(404);
    expect((await api('DELETE', `/templates/${id}`)).body.error.code).toBe('template_not_found');

    // Every change is in the audit log (written after the answer); lint, render and refusals are not.
    expect((await api('POST', '/templates/lint', weekly)).status).toBe(200);
    await vi.waitFor(async () => {
      const entries = await store.listAudit();
      expect(entries.map((entry) => `${entry.method} ${entry.route} ${entry.status}`)).toEqual([
        'DELETE /api/templates/:id 204',
        'POST /api/templates/:id/activate 200',
        'PUT /api/templates/:id 200',
        'POST /api/templates 201',
      ]);
    });
  });

  test('a save with lint errors is refused with 422 and the same errors list', async (context) => {
    const { api } = await startTemplatesApi(context, backend);
    const missing = await api('POST', '/templates', { name: 'No link', subject: 'Hi', html: '<p>Hello</p>' });
    expect(missing.status).toBe(422);
    expect(missing.body.error.code).toBe('invalid_template');
    expect(missing.body.errors).toEqual([
      expect.objectContaining({ code: 'missing_unsubscribe', part: 'html', line: 1, column: 1 }),
    ]);
    const syntax = await api('POST', '/templates', {
      ...weekly,
      html: '<<link_unsubscribe>>\n{{#each items}}\n',
    });
    expect(syntax.status).toBe(422);
    expect(syntax.body.errors[0]).toMatchObject({
      code: 'handlebars_syntax',
      part: 'html',
      line: expect.any(Number),
    });
    const helper = await api('POST', '/templates', {
      ...weekly,
      html: '<<link_unsubscribe>> {{> footer}} {{shout x}}',
    });
    expect(helper.body.errors.map((e: { column: number }) => e.column)).toEqual([22, 35]);
    const noSubject = await api('POST', '/templates', { name: 'x', html: weekly.html });
    expect(noSubject.body.error).toMatchObject({ code: 'invalid_input', field: 'subject' });
    const sms = await api('POST', '/templates', { name: 'x', channel: 'sms', html: '<p>x</p>', text: 'x' });
    expect(sms.body.error).toMatchObject({ code: 'invalid_input', field: 'html' });
    const typo = await api('POST', '/templates', { ...weekly, htlm: 'x' });
    expect(typo.body.error).toMatchObject({ code: 'invalid_input', field: 'htlm' });
    expect((await api('GET', '/templates')).body.templates).toEqual([]);
  });

  test('a template over 512 KB is 413; a body over 2 MB too; 401 without the token', async (context) => {
    const { api } = await startTemplatesApi(context, backend);
    const big = await api('POST', '/templates', {
      ...weekly,
      html: `${weekly.html}${'x'.repeat(520 * 1024)}`,
    });
    expect(big.status).toBe(413);
    expect(big.body.error).toMatchObject({ code: 'template_too_large', field: 'html' });
    const lint = await api('POST', '/templates/lint', { html: 'é'.repeat(300 * 1024) });
    expect(lint.status).toBe(413);
    const huge = await api('POST', '/templates', { ...weekly, html: 'x'.repeat(3 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
    expect((await api('GET', '/templates', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
    // Other /api paths still reach the admin router behind it.
    expect((await api('GET', '/groups')).body.groups).toHaveLength(3);
  });

  test('render one message: subject, html, text with the links written out, headers, links', async (context) => {
    const { api, ann, keyRing, news } = await startTemplatesApi(context, backend);
    const { body: template } = await api('POST', '/templates', weekly);
    const answer = await api('POST', '/render', {
      templateId: template.id,
      recipient: { contactId: ann.id, first_name: 'Ann & Co' },
      messageUid: 'msg-001',
    });
    expect(answer.status).toBe(200);
    const { subject, html, text, headers, links } = answer.body;
    expect(subject).toBe('Новости недели для Ann & Co');
    expect(html).toContain('Hi Ann &amp; Co');
    expect(text).toContain('Hi Ann & Co');
    expect(links.map((l: { action: string; groupIds: number[] }) => [l.action, l.groupIds])).toEqual([
      ['unsubscribe', []],
      ['unsubscribe_groups', [news.id]],
      ['unsubscribe', []],
    ]);
    for (const link of links.slice(0, 2)) expect(text).toContain(link.url);
    expect(headers).toEqual({
      'List-Unsubscribe': `<${links[2].url}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
    const verified = keyRing.verifyLink(tokenFromLink(links[1].url)!.token);
    expect(verified).toMatchObject({
      ok: true,
      claims: { contactId: ann.id, messageUid: 'msg-001', groupIds: [news.id] },
    });
  });

  test('render by id follows saves and activations at once (the compiled cache is per version)', async (context) => {
    const { api, ann } = await startTemplatesApi(context, backend);
    const { body: template } = await api('POST', '/templates', weekly);
    const subject = async (extra: Record<string, unknown> = {}) =>
      (
        await api('POST', '/render', {
          templateId: template.id,
          recipient: { contactId: ann.id, first_name: 'Ann' },
          ...extra,
        })
      ).body.subject as string;
    expect(await subject()).toBe('Новости недели для Ann');
    await api('PUT', `/templates/${template.id}`, { ...weekly, subject: 'Second for {{first_name}}' });
    expect(await subject()).toBe('Second for Ann');
    expect(await subject({ version: 1 })).toBe('Новости недели для Ann');
    await api('POST', `/templates/${template.id}/activate`, { version: 1 });
    expect(await subject()).toBe('Новости недели для Ann');
    await api('DELETE', `/templates/${template.id}`);
    expect(
      (await api('POST', '/render', { templateId: template.id, recipient: { contactId: ann.id } })).status,
    ).toBe(404);
  });

  test('render by e-mail looks the contact up; unknown e-mail → 422 naming recipient.email', async (context) => {
    const { api, ann } = await startTemplatesApi(context, backend);
    const inline = { subject: 'Hi {{first_name}} from {{city}}', html: weekly.html };
    const found = await api('POST', '/render', {
      template: inline,
      recipient: { email: 'ANN.smith@example.com' },
    });
    expect(found.body).toMatchObject({ contactId: ann.id, subject: 'Hi Ann from Riga' });
    const unknown = await api('POST', '/render', {
      template: inline,
      recipient: { email: 'nobody@example.com' },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toMatchObject({ code: 'recipient_not_found', field: 'recipient.email' });
    const neither = await api('POST', '/render', { template: inline, recipient: {} });
    expect(neither.body.error).toMatchObject({ field: 'recipient.contactId' });
    const both = await api('POST', '/render', {
      template: inline,
      templateId: 1,
      recipient: { contactId: 1 },
    });
    expect(both.body.error).toMatchObject({ code: 'invalid_input', field: 'templateId' });
    const invalid = await api('POST', '/render', {
      template: { html: '<p>x</p>' },
      recipient: { contactId: 1 },
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors[0]).toMatchObject({ code: 'missing_unsubscribe', part: 'html' });
    const missing = await api('POST', '/render', { templateId: 999, recipient: { contactId: 1 } });
    expect(missing.status).toBe(404);
  });

  test('render as .eml: From, To, RFC 2047 subject, List-Unsubscribe, multipart/alternative', async (context) => {
    const { api, ann } = await startTemplatesApi(context, backend, {
      mailFrom: 'Northwind <news@northwind.example.com>',
    });
    const { body: template } = await api('POST', '/templates', weekly);
    const answer = await api(
      'POST',
      '/render',
      { templateId: template.id, recipient: { email: ann.email }, messageUid: 'msg-7' },
      { accept: 'message/rfc822' },
    );
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^message\/rfc822/);
    const head = answer.text.split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' ');
    expect(head).toContain('From: Northwind <news@northwind.example.com>');
    expect(head).toContain(`To: ${ann.email}`);
    expect(head).toMatch(/^Subject: =\?UTF-8\?[BQ]\?.+\?=/m);
    const encoded = /^Subject: (.*)$/m.exec(head)![1]!;
    const decoded = encoded.replace(/=\?UTF-8\?B\?([^?]*)\?=\s*/g, (_m, b64: string) =>
      Buffer.from(b64, 'base64').toString('utf8'),
    );
    expect(decoded).toBe('Новости недели для Ann');
    expect(head).toMatch(/^List-Unsubscribe: <http:\/\/127\.0\.0\.1:\d+\/u\/[\w.-]+>$/m);
    expect(head).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(head).toContain('Message-ID: <msg-7@northwind.example.com>');
    expect(head).toMatch(/Content-Type: multipart\/alternative/);
    expect(answer.text).toContain('Content-Type: text/plain; charset=utf-8');
    expect(answer.text).toContain('Content-Type: text/html; charset=utf-8');

    const byRequest = await api(
      'POST',
      '/render',
      { templateId: template.id, recipient: { email: ann.email }, from: 'Other <o@other.example>' },
      { accept: 'message/rfc822' },
    );
    expect(byRequest.text).toContain('From: Other <o@other.example>');
  });

  test('.eml without a sender anywhere → 422 naming from', async (context) => {
    const { api, ann } = await startTemplatesApi(context, backend);
    const answer = await api(
      'POST',
      '/render',
      {
        template: { subject: weekly.subject, html: weekly.html },
        recipient: { contactId: ann.id, email: ann.email },
      },
      { accept: 'message/rfc822' },
    );
    expect(answer.status).toBe(422);
    expect(answer.body.error).toMatchObject({ code: 'missing_from', field: 'from' });
  });

  test('NDJSON batch: one line out per line in, in order; bad lines get error lines; a summary last', async (context) => {
    const { api, ann } = await startTemplatesApi(context, backend);
    const { body: template } = await api('POST', '/templates', {
      ...weekly,
      html: newsletter,
      subject: 'Weekly {{first_name}}',
    });
    const lines = readFileSync('examples/recipients.ndjson', 'utf8').split('\n').filter(Boolean).slice(0, 5);
    const body = [
      lines[0],
      '{not json',
      lines[1],
      JSON.stringify({ first_name: 'no id' }),
      '',
      JSON.stringify({ email: ann.email, messageUid: 'uid-1' }),
      JSON.stringify({ email: 'ghost@example.com' }),
      lines[2],
    ].join('\n');
    const answer = await api('POST', `/templates/${template.id}/render`, body, {
      'content-type': 'application/x-ndjson',
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const out = answer.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(out.map((o) => o.line ?? 'summary')).toEqual([1, 2, 3, 4, 6, 7, 8, 'summary']);
    expect(out[0]).toMatchObject({ contactId: 1, subject: 'Weekly Ben' });
    expect(out[0].text).toContain('/u/');
    expect(out[1].error).toMatchObject({ code: 'malformed_json', field: 'line' });
    expect(out[3].error).toMatchObject({ code: 'invalid_recipient', field: 'contactId' });
    expect(out[4]).toMatchObject({ contactId: ann.id, subject: 'Weekly Ann' });
    expect(out[5].error).toMatchObject({ code: 'recipient_not_found', field: 'email' });
    expect(out[6]).toMatchObject({ contactId: 3 });
    expect(out[7]).toEqual({ summary: { rendered: 4, failed: 3 } });

    const json = await api('POST', `/templates/${template.id}/render`, { contactId: 1 });
    expect(json.status).toBe(415);
    const missing = await api('POST', '/templates/999/render', lines[0], {
      'content-type': 'application/x-ndjson',
    });
    expect(missing.status).toBe(404);
  });
});
