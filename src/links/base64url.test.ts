/** @module Tests of strict base64url decoding: only the canonical spelling of some bytes is accepted. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64url } from './base64url.js';

describe('decodeBase64url', () => {
  it('decodes the canonical unpadded encoding of any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = Buffer.from(bytes).toString('base64url');
        expect(decodeBase64url(text)).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it.each([
    ['padding', 'YQ=='],
    ['standard alphabet +', 'a+b_'],
    ['standard alphabet /', 'a/b-'],
    ['nonzero unused bits after 1 byte', 'YR'],
    ['nonzero unused bits after 2 bytes', 'YWJ'],
    ['a length of 4n+1', 'YWJjZ'],
    ['a space', 'YW Jj'],
    ['a dot', 'YW.j'],
    ['non-ASCII', 'YWJé'],
  ])('rejects %s', (_name, text) => {
    expect(decodeBase64url(text)).toBeUndefined();
  });
});
