/** @module Property test: render → extract the links from the HTML → verify gives exactly the claims put in. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyRing, tokenFromLink, type LinkClaims } from '../links/index.js';
import { compile, render, type GroupCatalog } from './index.js';

const catalog: GroupCatalog = Array.from({ length: 12 }, (_, index) => ({
  id: index + 1,
  name: `Группа ${index + 1}`,
  systemName: `g${index + 1}`,
  channel: 'email' as const,
}));
const keyRing = KeyRing.generate();
const baseUrl = 'https://links.example.org/base';

const groupNames = fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 5 });
const tag = fc.oneof(
  fc.constant({ source: '<<link_unsubscribe>>', action: 'unsubscribe' as const, ids: [] as number[] }),
  fc.constant({ source: '{{link_unsubscribe_manager}}', action: 'manage' as const, ids: [] as number[] }),
  groupNames.map((ids) => ({
    source: `<<Unsubscribe(${ids.map((id) => `'Группа ${id}'`).join(', ')})>>`,
    action: 'unsubscribe_groups' as const,
    ids,
  })),
  groupNames.map((ids) => ({
    source: `<<UnsubscribeRedirect('https://shop.example/bye?x=1', ${ids.map((id) => `"g${id}"`).join(',')})>>`,
    action: 'unsubscribe_redirect' as const,
    ids,
  })),
);

describe('render properties', () => {
  it('every link in the HTML verifies to exactly the claims its tag and the recipient put in', () => {
    fc.assert(
      fc.property(
        fc.array(tag, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), { nil: undefined }),
        fc.constantFrom('email' as const, 'sms' as const),
        fc.integer({ min: 1_600_000_000, max: 2_000_000_000 }),
        (tags, contactId, messageUid, channel, issuedAt) => {
          const source = tags.map((t, i) => `<p id="${i}"><a href="${t.source}">x</a></p>`).join('\n');
          const compiled = compile(source, { groups: catalog });
          if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
          const result = render(compiled.template, { contactId }, undefined, {
            keyRing,
            baseUrl,
            channel,
            links: 'jws',
            messageUid,
            now: () => issuedAt * 1000,
          });
          const hrefs = [...result.html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
          expect(hrefs).toHaveLength(tags.length);
          hrefs.forEach((href, i) => {
            const expected: LinkClaims = {
              action: tags[i]!.action,
              contactId,
              channel,
              groupIds: [...tags[i]!.ids].sort((a, b) => a - b),
              issuedAt,
            };
            if (messageUid !== undefined) expected.messageUid = messageUid;
            if (tags[i]!.action === 'unsubscribe_redirect')
              expected.redirectUrl = 'https://shop.example/bye?x=1';
            const verified = keyRing.verifyLink(tokenFromLink(href)!.token);
            expect(verified).toEqual({ ok: true, claims: expected, kid: expect.any(String) });
            expect(href.startsWith(`${baseUrl}/${expected.action === 'manage' ? 'm' : 'u'}/`)).toBe(true);
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});
