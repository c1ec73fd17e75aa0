/** @module Unit tests of the public form reader: urlencoded, multipart (hand-written and fuzzed), text/plain. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { HttpError } from './errors.js';
import { isOneClick, parseContentType, parseFormBody, parseMultipart } from './parseFormBody.js';

const multipart = (boundary: string, parts: string[]) =>
  Buffer.from(parts.map((part) => `--${boundary}\r\n${part}\r\n`).join('') + `--${boundary}--\r\n`);

describe('parseFormBody', () => {
  test('urlencoded, repeated fields, bad escapes never throw', () => {
    const fields = parseFormBody(
      'application/x-www-form-urlencoded',
      Buffer.from('group=1&group=2&save=1&x=%zz'),
    );
    expect(fields.get('group')).toEqual(['1', '2']);
    expect(fields.get('x')).toEqual(['%zz']);
    expect(isOneClick(parseFormBody(undefined, Buffer.from('List-Unsubscribe=One-Click')))).toBe(true);
    expect(isOneClick(parseFormBody('text/plain', Buffer.from('List-Unsubscribe=One-Click\r\n')))).toBe(true);
    expect(parseFormBody('application/json', Buffer.from('{"a":1}')).size).toBe(0);
    expect(parseFormBody('application/x-www-form-urlencoded', undefined).size).toBe(0);
  });

  test('multipart text fields as a mail provider sends them; file parts skipped', () => {
    const body = multipart('----b0undary', [
      'Content-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click',
      'Content-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nignored',
      'Content-Disposition: form-data; name="empty"\r\n\r\n',
      'Content-Disposition: form-data; name="имя"\r\n\r\nзначение',
    ]);
    const fields = parseFormBody('multipart/form-data; boundary="----b0undary"', body);
    expect(isOneClick(fields)).toBe(true);
    expect(fields.has('file')).toBe(false);
    expect(fields.get('empty')).toEqual(['']);
    expect(fields.get('имя')).toEqual(['значение']);
  });

  test('unreadable multipart is a bad_form HttpError', () => {
    const bad =
      (body: string, boundary: string | undefined = 'zz') =>
      () =>
        parseMultipart(Buffer.from(body), boundary);
    for (const thrower of [
      bad('x', undefined),
      bad('no boundary here'),
      bad('--zz\r\nContent-Disposition: form-data; name="a"\r\n\r\nnot closed'),
      bad('--zzjunk'),
      bad('--zz\r\nheaders but no blank line\r\n--zz--'),
    ]) {
      expect(thrower).toThrow(HttpError);
    }
  });

  test('fuzz: any bytes under any content type either parse or throw HttpError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          'multipart/form-data; boundary=zz',
          'application/x-www-form-urlencoded',
          'text/plain',
          '',
        ),
        fc.array(
          fc.oneof(
            fc.constantFrom('--zz', '\r\n', '--', 'name="a"', 'Content-Disposition: form-data; '),
            fc.string(),
          ),
          {
            maxLength: 12,
          },
        ),
        (type, pieces) => {
          try {
            parseFormBody(type, Buffer.from(pieces.join('')));
          } catch (error) {
            expect(error).toBeInstanceOf(HttpError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test('parseContentType', () => {
    expect(parseContentType('Multipart/Form-Data; Boundary="a b"; x')).toEqual({
      type: 'multipart/form-data',
      params: { boundary: 'a b' },
    });
    expect(parseContentType(undefined)).toEqual({ type: '', params: {} });
  });
});
