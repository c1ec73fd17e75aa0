/**
 * @module Reads a contact import file — CSV with a header row, or NDJSON (one JSON object per line)
 * — into raw records with their line numbers. Structural problems (an unclosed quote, a line that
 * is not a JSON object) become problems with a line, never exceptions.
 */
import { parse } from 'csv-parse/sync';

/** The two import formats, chosen by file extension. */
export type ImportFormat = 'csv' | 'ndjson';

/** One problem found in an import file: 1-based line, the field (column) at fault, a message. */
export interface ImportProblem {
  line: number;
  field: string;
  message: string;
}

/** One record as read from the file, before validation. */
export interface RawContactRecord {
  /** 1-based line where the record ends (CSV records may span lines inside quotes). */
  line: number;
  fields: Record<string, unknown>;
}

/** `csv` for `.csv`, `ndjson` for `.ndjson`/`.jsonl`, otherwise undefined. */
export function importFormatOf(file: string): ImportFormat | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'ndjson';
  return undefined;
}

/** Reads `text` as `format`; returns the records and any structural problems. */
export function parseContactFile(
  text: string,
  format: ImportFormat,
): { records: RawContactRecord[]; problems: ImportProblem[] } {
  return format === 'csv' ? parseCsv(text) : parseNdjson(text);
}

function parseCsv(text: string): { records: RawContactRecord[]; problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  let headerProblem = false;
  const columns = (header: string[]) => {
    const names = header.map((name) => name.trim());
    const seen = new Set<string>();
    for (const name of names) {
      const key = name.toLowerCase();
      if (name === '' || seen.has(key)) {
        headerProblem = true;
        problems.push({
          line: 1,
          field: name || '(empty)',
          message: 'column names must be present and distinct',
        });
      }
      seen.add(key);
    }
    return names;
  };
  try {
    const rows = parse(text, {
      columns,
      info: true,
      bom: true,
      trim: true,
      skip_empty_lines: true,
    }) as { record: Record<string, string>; info: { lines: number } }[];
    if (headerProblem) return { records: [], problems };
    return { records: rows.map(({ record, info }) => ({ line: info.lines, fields: record })), problems };
  } catch (error) {
    const e = error as { code?: string; lines?: number; message: string };
    if (typeof e.code !== 'string' || !e.code.startsWith('CSV_')) throw error;
    problems.push({ line: e.lines ?? 0, field: 'file', message: `not valid CSV: ${e.message}` });
    return { records: [], problems };
  }
}

function parseNdjson(text: string): { records: RawContactRecord[]; problems: ImportProblem[] } {
  const records: RawContactRecord[] = [];
  const problems: ImportProblem[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [index, content] of lines.entries()) {
    const line = index + 1;
    if (content.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (error) {
      problems.push({ line, field: 'line', message: `not valid JSON: ${(error as Error).message}` });
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push({
        line,
        field: 'line',
        message: 'must be a JSON object such as {"email": "a@example.com"}',
      });
      continue;
    }
    records.push({ line, fields: value as Record<string, unknown> });
  }
  return { records, problems };
}
