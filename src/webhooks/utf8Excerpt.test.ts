/** @module Tests of the UTF-8-safe excerpt: never over the limit, never half a character. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { responseExcerptBytes, utf8Excerpt } from './index.js';

describe('utf8Excerpt', () => {
  it('keeps short bodies whole', () => {
    expect(utf8Excerpt(Buffer.from('{"ok":true}'))).toBe('{"ok":true}');
    expect(responseExcerptBytes).toBe(20 * 1024);
  });

  it('drops a character cut in half', () => {
    const bytes = Buffer.from('ab€', 'utf8'); // € is 3 bytes
    expect(utf8Excerpt(bytes, 4)).toBe('ab');
    expect(utf8Excerpt(Buffer.from('я😀', 'utf8'), 5)).toBe('я');
  });

  it('stays within the limit even when invalid bytes become U+FFFD', () => {
    const invalid = Buffer.alloc(10, 0xff);
    const text = utf8Excerpt(invalid, 10);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(10);
    expect(text).toMatch(/^\uFFFD+$/);
  });

  it('is a prefix of the decoded text and within the limit, for any text and limit', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 0, max: 64 }), (text, limit) => {
        const excerpt = utf8Excerpt(Buffer.from(text, 'utf8'), limit);
        expect(Buffer.byteLength(excerpt)).toBeLessThanOrEqual(limit);
        expect(Buffer.from(text, 'utf8').toString('utf8').startsWith(excerpt)).toBe(true);
      }),
    );
  });
});
