/** @module Tests of link URLs, List-Unsubscribe headers and finding the token in a pasted link. */
import { describe, expect, it } from 'vitest';
import { linkUrl, listUnsubscribeHeaders, tokenFromLink } from './index.js';

describe('linkUrl', () => {
  it('puts manage links under /m/ and every other action under /u/', () => {
    expect(linkUrl('https://unsub.example.com', { action: 'manage' }, 'a.b.c')).toBe(
      'https://unsub.example.com/m/a.b.c',
    );
    for (const action of ['unsubscribe', 'unsubscribe_groups', 'unsubscribe_redirect'] as const) {
      expect(linkUrl('https://unsub.example.com/', { action }, 'a.b.c')).toBe(
        'https://unsub.example.com/u/a.b.c',
      );
    }
  });

  it('keeps a base path', () => {
    expect(linkUrl('https://example.com/mail//', { action: 'unsubscribe' }, 't')).toBe(
      'https://example.com/mail/u/t',
    );
  });
});

describe('listUnsubscribeHeaders', () => {
  it('gives the RFC 2369 header and the RFC 8058 one-click header', () => {
    expect(listUnsubscribeHeaders('https://unsub.example.com/u/a.b.c')).toEqual({
      'List-Unsubscribe': '<https://unsub.example.com/u/a.b.c>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
  });
});

describe('tokenFromLink', () => {
  it.each([
    ['a bare token', ' a.b.c\n', { token: 'a.b.c' }],
    ['an /u/ URL', 'https://x.example/u/a.b.c', { token: 'a.b.c', page: 'u' }],
    [
      'an /m/ URL with a trailing slash and query',
      'http://localhost:8080/base/m/a.b.c/?x=1',
      { token: 'a.b.c', page: 'm' },
    ],
    ['a URL without a link path', 'https://x.example/other/a.b.c', undefined],
    ['a broken URL', 'https://', undefined],
  ])('handles %s', (_name, text, expected) => {
    expect(tokenFromLink(text)).toEqual(expected);
  });
});
