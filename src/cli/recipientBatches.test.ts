/** @module Tests of recipient batches: line batches read the same rows as decoding the whole text. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toRecipient } from './recipientRows.js';
import { forEachRow, type LineBatch } from './recipientBatches.js';

/** The rows of a line batch as the whole text decoded at once gives them (the reference). */
function rowsOfWholeText(batch: LineBatch): unknown[] {
  let text = Buffer.from(batch.bytes).toString('utf8');
  if (batch.first === 1) text = text.replace(/^\uFEFF/, '');
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  const rows: unknown[] = [];
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const number = batch.first + index;
    let row: unknown;
    try {
      row = toRecipient(JSON.parse(line));
    } catch (error) {
      row = `invalid JSON: ${(error as Error).message}`;
    }
    rows.push([number, `line ${number}`, row]);
  });
  return rows;
}

function rowsOf(batch: LineBatch): unknown[] {
  const rows: unknown[] = [];
  forEachRow(batch, (number, where, row) => rows.push([number, where, row]));
  return rows;
}

/** Pieces a line batch is made of: JSON rows, line ends, a byte order mark, broken UTF-8. */
const piece = fc.oneof(
  fc.constantFrom('\n', '\r\n', '\r', ' ', '\uFEFF', '{"contactId":1}', '{"id":"2","a":"ж"}', '[]', '{'),
  fc
    .record({ contactId: fc.integer({ min: -1, max: 9 }), name: fc.string({ unit: 'binary' }) })
    .map((row) => JSON.stringify(row)),
  fc.uint8Array({ maxLength: 4 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

describe('line batches', () => {
  it('read every line as the whole text decoded at once reads it (line ends, \\r, BOM, bad UTF-8)', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), fc.constantFrom(1, 7), (pieces, first) => {
        const bytes = Buffer.concat(
          pieces.map((text) =>
            // Latin-1 pieces stand for raw bytes (broken UTF-8 among them); the rest is UTF-8.
            /^[\x80-\xff]/.test(text) ? Buffer.from(text, 'latin1') : Buffer.from(text, 'utf8'),
          ),
        );
        const batch: LineBatch = { kind: 'lines', first, bytes: new Uint8Array(bytes) };
        expect(rowsOf(batch)).toEqual(rowsOfWholeText(batch));
      }),
      { numRuns: 2000 },
    );
  });

  it('numbers the lines after blank ones and keeps a last line without its line end', () => {
    const batch: LineBatch = {
      kind: 'lines',
      first: 5,
      bytes: new Uint8Array(Buffer.from('{"contactId":1}\r\n\n  \n{"contactId":2}')),
    };
    expect(rowsOf(batch)).toEqual([
      [5, 'line 5', { contactId: 1 }],
      [8, 'line 8', { contactId: 2 }],
    ]);
  });
});
