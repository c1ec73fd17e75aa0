/**
 * @module Validates raw import records into store rows, collecting EVERY problem (line, field,
 * message) so the user can fix the whole file in one pass.
 *
 * Columns: `email` (required), `phone`, `first_name`, `last_name` (camelCase also accepted),
 * `groups` (system names separated by `;`, or a JSON array of them); every other column becomes an
 * extra field (in NDJSON an `extra` object is merged in as well). Empty CSV cells mean "not given".
 */
import type { Group, ImportContactRow, JsonObject, JsonValue } from '../store/index.js';
import { emailSchema, phoneSchema } from './inputSchemas.js';
import type { ImportProblem, RawContactRecord } from './parseContactFile.js';

/** Known columns (lower-cased) → the row field they fill. */
const knownColumns: Record<string, 'email' | 'phone' | 'firstName' | 'lastName' | 'groups' | 'extra'> = {
  email: 'email',
  phone: 'phone',
  first_name: 'firstName',
  firstname: 'firstName',
  last_name: 'lastName',
  lastname: 'lastName',
  groups: 'groups',
  extra: 'extra',
};

/** Checks every record; rows are only meaningful when `problems` is empty. */
export function validateContactRecords(
  records: readonly RawContactRecord[],
  groups: readonly Group[],
): { rows: ImportContactRow[]; problems: ImportProblem[] } {
  const bySystemName = new Map(groups.map((group) => [group.systemName.toLowerCase(), group]));
  const firstLineOfEmail = new Map<string, number>();
  const rows: ImportContactRow[] = [];
  const problems: ImportProblem[] = [];

  for (const { line, fields } of records) {
    const problem = (field: string, message: string) => problems.push({ line, field, message });
    const row: ImportContactRow = { email: '', groupIds: [] };
    const extra: JsonObject = {};

    for (const [column, raw] of Object.entries(fields)) {
      const target = knownColumns[column.toLowerCase()];
      if (raw === '' || raw === undefined) continue;
      if (target === undefined) {
        if (column.length > 64) problem(column, 'extra field names must be at most 64 characters');
        else extra[column] = raw as JsonValue;
        continue;
      }
      if (target === 'extra') {
        if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) Object.assign(extra, raw);
        else problem(column, 'must be an object of extra fields');
        continue;
      }
      if (target === 'groups') {
        const names = groupNames(raw);
        if (names === undefined) {
          problem(column, 'must be system names separated by ";" or a JSON array of them');
          continue;
        }
        for (const name of names) {
          const group = bySystemName.get(name.toLowerCase());
          if (group) row.groupIds.push(group.id);
          else problem(column, `unknown group "${name}" (use a group's system name)`);
        }
        continue;
      }
      if (typeof raw !== 'string' && !(target === 'phone' && typeof raw === 'number')) {
        problem(column, 'must be text');
        continue;
      }
      const text = String(raw);
      if (target === 'email' || target === 'phone') {
        const parsed = (target === 'email' ? emailSchema : phoneSchema).safeParse(text);
        if (parsed.success) row[target] = parsed.data;
        else problem(column, parsed.error.issues[0]?.message ?? 'is invalid');
      } else if (text.trim().length > 200) {
        problem(column, 'must be at most 200 characters');
      } else if (text.trim() !== '') {
        row[target] = text.trim();
      }
    }

    if (row.email === '') {
      if (!problems.some((p) => p.line === line && p.field.toLowerCase() === 'email'))
        problem('email', 'is required');
      continue;
    }
    const key = row.email.toLowerCase();
    const earlier = firstLineOfEmail.get(key);
    if (earlier !== undefined) problem('email', `duplicate of line ${earlier}`);
    else firstLineOfEmail.set(key, line);
    if (Object.keys(extra).length > 0) row.extra = extra;
    rows.push(row);
  }
  return { rows, problems };
}

/** Group system names from a cell: `a;b`, `["a","b"]`, or (NDJSON) an array. */
function groupNames(raw: unknown): string[] | undefined {
  let value = raw;
  if (typeof value === 'string' && value.trim().startsWith('[')) {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (typeof value === 'string') {
    return value
      .split(';')
      .map((name) => name.trim())
      .filter(Boolean);
  }
  if (Array.isArray(value) && value.every((name) => typeof name === 'string')) {
    return value.map((name) => name.trim()).filter(Boolean);
  }
  return undefined;
}
