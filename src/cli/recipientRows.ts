/**
 * @module Reading recipients for `unsub render --data FILE`: a JSON object (one recipient), a JSON
 * array, NDJSON or CSV (by extension, else sniffed). Rows stream, so a batch can be read twice —
 * once to validate every row, once to render — without holding it in memory.
 */
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parse as parseCsv } from 'csv-parse';
import type { Recipient } from '../template/index.js';

/** How a recipients file is laid out. */
export type RecipientFormat = 'object' | 'array' | 'ndjson' | 'csv';

/** One row: where it is (`line 4`, `item 2`) and the recipient, or why it is unusable. */
export type RecipientRow = { where: string; recipient: Recipient } | { where: string; problem: string };

const positiveId = /^[1-9][0-9]{0,15}$/;

/**
 * The contact id of one parsed row (an object with a positive integer `contactId` or `id`), or why
 * it has none. What `toRecipient` checks, without copying the row (the check pass only counts ids).
 */
export function recipientId(value: unknown): number | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return 'a recipient must be a JSON object';
  const row = value as Record<string, unknown>;
  const raw = row.contactId ?? row.id;
  if (raw === undefined || raw === '') return 'missing contactId (or id)';
  const id = typeof raw === 'string' && positiveId.test(raw.trim()) ? Number(raw.trim()) : raw;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) {
    return `contactId must be a positive integer, got ${JSON.stringify(raw)}`;
  }
  return id;
}

/** Checks one parsed row: an object with a positive integer `contactId` (or `id`). */
export function toRecipient(value: unknown): Recipient | string {
  const id = recipientId(value);
  if (typeof id === 'string') return id;
  const row = value as Record<string, unknown>;
  // Already a number in `contactId` (the usual row): the row itself, not a copy of it.
  return row.contactId === id ? (row as Recipient) : { ...row, contactId: id };
}

/** The format of `file`: by extension (.json, .ndjson/.jsonl, .csv), else from its first bytes. */
export async function detectRecipientFormat(file: string): Promise<RecipientFormat> {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.ndjson' || extension === '.jsonl') return 'ndjson';
  if (extension === '.csv') return 'csv';
  const handle = await open(file, 'r');
  let head: string;
  try {
    const buffer = Buffer.alloc(65_536);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = buffer
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
  } finally {
    await handle.close();
  }
  const trimmed = head.trimStart();
  if (trimmed.startsWith('[')) return 'array';
  if (extension === '.json') return 'object';
  if (!trimmed.startsWith('{')) return 'csv';
  // One object per line is NDJSON; an object spread over lines (or alone) is one recipient.
  const lines = trimmed.split('\n').filter((line) => line.trim() !== '');
  try {
    JSON.parse(lines[0] ?? '');
    return lines.length > 1 ? 'ndjson' : 'object';
  } catch {
    return 'object';
  }
}

function parseJson(text: string): { value: unknown } | { problem: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { problem: `invalid JSON: ${(error as Error).message}` };
  }
}

function rowOf(where: string, value: unknown): RecipientRow {
  const recipient = toRecipient(value);
  return typeof recipient === 'string' ? { where, problem: recipient } : { where, recipient };
}

async function* jsonRows(file: string, format: 'object' | 'array'): AsyncGenerator<RecipientRow> {
  const parsed = parseJson((await readFile(file, 'utf8')).replace(/^\uFEFF/, ''));
  if ('problem' in parsed) {
    yield { where: 'line 1', problem: parsed.problem };
    return;
  }
  if (format === 'object' || !Array.isArray(parsed.value)) {
    yield rowOf('line 1', parsed.value);
    return;
  }
  let index = 0;
  for (const item of parsed.value) yield rowOf(`item ${++index}`, item);
}

async function* ndjsonRows(file: string): AsyncGenerator<RecipientRow> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number++;
    const text = number === 1 ? line.replace(/^\uFEFF/, '') : line;
    if (text.trim() === '') continue;
    const parsed = parseJson(text);
    yield 'problem' in parsed
      ? { where: `line ${number}`, problem: parsed.problem }
      : rowOf(`line ${number}`, parsed.value);
  }
}

async function* csvRows(file: string): AsyncGenerator<RecipientRow> {
  const parser = createReadStream(file).pipe(
    parseCsv({ columns: true, bom: true, skip_empty_lines: true, trim: true, info: true }),
  );
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: unknown;
      info: { lines: number };
    }>) {
      yield rowOf(`line ${info.lines}`, record);
    }
  } catch (error) {
    const failure = error as Error & { lines?: number };
    yield { where: `line ${failure.lines ?? '?'}`, problem: `invalid CSV: ${failure.message}` };
  }
}

/** Every row of `file` in order (valid or not). */
export function readRecipientRows(file: string, format: RecipientFormat): AsyncGenerator<RecipientRow> {
  if (format === 'ndjson') return ndjsonRows(file);
  if (format === 'csv') return csvRows(file);
  return jsonRows(file, format);
}

/**
 * Reads every row once: counts the good ones and lists every problem (bad rows and repeated
 * contact ids), so a batch is refused before anything is rendered.
 */
export async function validateRecipientRows(
  file: string,
  format: RecipientFormat,
): Promise<{ count: number; problems: { where: string; problem: string }[] }> {
  const seen = new Map<number, string>();
  const problems: { where: string; problem: string }[] = [];
  let count = 0;
  for await (const row of readRecipientRows(file, format)) {
    if ('problem' in row) {
      problems.push(row);
      continue;
    }
    const first = seen.get(row.recipient.contactId);
    if (first !== undefined) {
      problems.push({ where: row.where, problem: `contactId ${row.recipient.contactId} repeats ${first}` });
      continue;
    }
    seen.set(row.recipient.contactId, row.where);
    count++;
  }
  return { count, problems };
}
