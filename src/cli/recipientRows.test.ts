/** @module Tests of reading recipients: format detection, row checks and line numbers. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  detectRecipientFormat,
  readRecipientRows,
  recipientId,
  toRecipient,
  validateRecipientRows,
} from './recipientRows.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'unsub-rows-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const full = path.join(dir, name);
  await writeFile(full, text);
  return full;
}

describe('recipient rows', () => {
  it('checks contactId (or id), accepting numeric strings from CSV', () => {
    expect(toRecipient({ contactId: 4, a: 1 })).toEqual({ contactId: 4, a: 1 });
    expect(toRecipient({ id: ' 12 ' })).toEqual({ id: ' 12 ', contactId: 12 });
    expect(toRecipient({ contactId: '1e3' })).toBe('contactId must be a positive integer, got "1e3"');
    expect(toRecipient({})).toBe('missing contactId (or id)');
    expect(toRecipient([1])).toBe('a recipient must be a JSON object');
  });

  it('gives the contact id alone as the check pass needs it, with the same problems', () => {
    for (const value of [
      { contactId: 4 },
      { id: ' 12 ' },
      { contactId: '1e3' },
      {},
      [1],
      null,
      { contactId: 0 },
    ]) {
      const recipient = toRecipient(value);
      expect(recipientId(value)).toEqual(typeof recipient === 'string' ? recipient : recipient.contactId);
    }
  });

  it('detects the format by extension, else by content', async () => {
    expect(await detectRecipientFormat(await file('a.jsonl', ''))).toBe('ndjson');
    expect(await detectRecipientFormat(await file('a.csv', ''))).toBe('csv');
    expect(await detectRecipientFormat(await file('a.json', '{\n "contactId": 1\n}'))).toBe('object');
    expect(await detectRecipientFormat(await file('b.json', '[{"contactId":1}]'))).toBe('array');
    expect(await detectRecipientFormat(await file('c.txt', '{"contactId":1}\n{"contactId":2}\n'))).toBe(
      'ndjson',
    );
    expect(await detectRecipientFormat(await file('d.txt', '\uFEFF{\n"contactId":1}'))).toBe('object');
    expect(await detectRecipientFormat(await file('e.txt', 'contactId,name\n1,a\n'))).toBe('csv');
  });

  it('numbers NDJSON and CSV rows by line and JSON array rows by item', async () => {
    const rows = [];
    for await (const row of readRecipientRows(
      await file('r.csv', '\uFEFFcontactId,name\n1,"a\nb"\n2,c\n'),
      'csv',
    ))
      rows.push(row);
    expect(rows).toEqual([
      { where: 'line 3', recipient: { contactId: 1, name: 'a\nb' } },
      { where: 'line 4', recipient: { contactId: 2, name: 'c' } },
    ]);
    const array = await validateRecipientRows(
      await file('r.json', '[{"contactId":1},{"id":"x"},{"id":1}]'),
      'array',
    );
    expect(array).toEqual({
      count: 1,
      problems: [
        { where: 'item 2', problem: 'contactId must be a positive integer, got "x"' },
        { where: 'item 3', problem: 'contactId 1 repeats item 1' },
      ],
    });
    const csv = await validateRecipientRows(await file('bad.csv', 'contactId,name\n1,a\n2,b,extra\n'), 'csv');
    expect(csv.problems[0]).toMatchObject({
      where: 'line 3',
      problem: expect.stringContaining('invalid CSV'),
    });
  });
});
