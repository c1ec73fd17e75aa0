/**
 * @module Recipients in batches for `unsub render`: a batch file is read in runs of rows that a
 * render thread can check or render on its own. NDJSON goes out as raw lines (the thread parses
 * them, so JSON parsing is shared between cores); CSV and JSON arrays go out as parsed rows. A
 * batch carries its position (line or item numbers), so every problem still names its line.
 */
import { createReadStream } from 'node:fs';
import { readRecipientRows, toRecipient, type RecipientFormat } from './recipientRows.js';

/**
 * Raw NDJSON lines as the file's bytes, the first numbered `first` (1-based). The thread that gets
 * the batch decodes and parses it, so the reading thread only looks for line ends.
 */
export interface LineBatch {
  kind: 'lines';
  first: number;
  bytes: Uint8Array;
}

/** Parsed rows (CSV records, JSON array items) with their line/item numbers. */
export interface RowBatch {
  kind: 'rows';
  unit: 'line' | 'item';
  numbers: number[];
  /** The parsed value, or why the row could not even be parsed. */
  values: ({ value: unknown } | { problem: string })[];
}

export type RecipientBatch = LineBatch | RowBatch;

/** One bad row: its position (for ordering), where it is, and why. */
export interface BatchProblem {
  number: number;
  where: string;
  problem: string;
}

/** What checking a batch found: the good rows' contact ids with their numbers, and the problems. */
export interface BatchCheck {
  ids: number[];
  numbers: number[];
  problems: BatchProblem[];
}

/** Rows per batch: big enough that a message between threads is cheap beside the work it carries. */
export const batchRows = 256;

/**
 * NDJSON lines in batches of `size`, read in large chunks and cut at line ends without decoding
 * (readline's per-line events and the UTF-8 decoding would keep the reading thread busy).
 */
async function* lineBatches(file: string, size: number): AsyncGenerator<LineBatch> {
  let carry: Buffer = Buffer.alloc(0);
  let next = 1;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const data = carry.length === 0 ? (chunk as Buffer) : Buffer.concat([carry, chunk as Buffer]);
    let start = 0;
    for (;;) {
      let end = start;
      let lines = 0;
      for (let at = data.indexOf(10, end); lines < size && at !== -1; at = data.indexOf(10, end)) {
        lines++;
        end = at + 1;
      }
      if (lines < size) break; // the rest waits for the next chunk
      // A copy of exactly these bytes: it moves to a render thread without the rest of the chunk.
      yield { kind: 'lines', first: next, bytes: new Uint8Array(data.subarray(start, end)) };
      next += lines;
      start = end;
    }
    carry = data.subarray(start);
  }
  if (carry.length > 0) yield { kind: 'lines', first: next, bytes: new Uint8Array(carry) };
}

/** The lines of a line batch (a last line without its line end included; `\r\n` ends a line too). */
function linesOf(batch: LineBatch): string[] {
  let text = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength).toString('utf8');
  if (batch.first === 1) text = text.replace(/^\uFEFF/, '');
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.endsWith('\r')) lines[i] = lines[i]!.slice(0, -1);
  }
  return lines;
}

/** CSV records or JSON array items in batches (parsed on this thread by the row readers). */
async function* rowBatches(file: string, format: RecipientFormat, size: number): AsyncGenerator<RowBatch> {
  const unit = format === 'csv' ? 'line' : 'item';
  let batch: RowBatch = { kind: 'rows', unit, numbers: [], values: [] };
  for await (const row of readRecipientRows(file, format)) {
    const number = Number(/\d+/.exec(row.where)?.[0] ?? 0);
    batch.numbers.push(number);
    batch.values.push('problem' in row ? { problem: row.problem } : { value: row.recipient });
    if (batch.numbers.length === size) {
      yield batch;
      batch = { kind: 'rows', unit, numbers: [], values: [] };
    }
  }
  if (batch.numbers.length > 0) yield batch;
}

/** Every row of a batch file (not `object`) in batches of `size`, in file order. */
export function readRecipientBatches(
  file: string,
  format: Exclude<RecipientFormat, 'object'>,
  size = batchRows,
): AsyncGenerator<RecipientBatch> {
  return format === 'ndjson' ? lineBatches(file, size) : rowBatches(file, format, size);
}

/**
 * Calls `fn` for every row of `batch` with its number and parsed recipient (or problem). Blank
 * NDJSON lines are skipped, as before.
 */
export function forEachRow(
  batch: RecipientBatch,
  fn: (number: number, where: string, row: ReturnType<typeof toRecipient>) => void,
): void {
  if (batch.kind === 'lines') {
    const lines = linesOf(batch);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.trim() === '') continue;
      const number = batch.first + i;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        fn(number, `line ${number}`, `invalid JSON: ${(error as Error).message}`);
        continue;
      }
      fn(number, `line ${number}`, toRecipient(value));
    }
    return;
  }
  for (let i = 0; i < batch.values.length; i++) {
    const number = batch.numbers[i]!;
    const where = `${batch.unit} ${number === 0 ? '?' : number}`;
    const parsed = batch.values[i]!;
    fn(number, where, 'problem' in parsed ? parsed.problem : toRecipient(parsed.value));
  }
}

/** Checks every row of a batch: the good rows' ids and numbers, and each bad row's problem. */
export function checkBatch(batch: RecipientBatch): BatchCheck {
  const check: BatchCheck = { ids: [], numbers: [], problems: [] };
  forEachRow(batch, (number, where, row) => {
    if (typeof row === 'string') check.problems.push({ number, where, problem: row });
    else {
      check.ids.push(row.contactId);
      check.numbers.push(number);
    }
  });
  return check;
}

/**
 * Collects batch checks and finds repeated contact ids. The ids and numbers are kept in typed
 * arrays (12 bytes a row), never the rows, so a batch of millions stays small in memory.
 */
export class RepeatFinder {
  #ids = new Float64Array(1024);
  #numbers = new Uint32Array(1024);
  #count = 0;
  readonly #unit: 'line' | 'item';
  readonly #problems: BatchProblem[] = [];

  constructor(unit: 'line' | 'item') {
    this.#unit = unit;
  }

  /** Adds one batch's check. */
  add(check: BatchCheck): void {
    this.#problems.push(...check.problems);
    if (this.#count + check.ids.length > this.#ids.length) {
      const size = Math.max(this.#ids.length * 2, this.#count + check.ids.length);
      const ids = new Float64Array(size);
      ids.set(this.#ids.subarray(0, this.#count));
      const numbers = new Uint32Array(size);
      numbers.set(this.#numbers.subarray(0, this.#count));
      this.#ids = ids;
      this.#numbers = numbers;
    }
    this.#ids.set(check.ids, this.#count);
    this.#numbers.set(check.numbers, this.#count);
    this.#count += check.ids.length;
  }

  /** The good rows (not counting repeats) and every problem in file order. */
  result(): { count: number; problems: { where: string; problem: string }[] } {
    const ids = this.#ids;
    const numbers = this.#numbers;
    // Rows in order of id, then of position: a repeat follows the first row with its id.
    const order = new Uint32Array(this.#count);
    for (let i = 0; i < order.length; i++) order[i] = i;
    order.sort((a, b) => ids[a]! - ids[b]! || numbers[a]! - numbers[b]!);
    const problems = [...this.#problems];
    let repeats = 0;
    let first = order[0]!; // the first row of the current run of equal ids
    for (let i = 1; i < order.length; i++) {
      const row = order[i]!;
      if (ids[row] !== ids[first]) {
        first = row;
        continue;
      }
      repeats++;
      problems.push({
        number: numbers[row]!,
        where: `${this.#unit} ${numbers[row]}`,
        problem: `contactId ${ids[row]} repeats ${this.#unit} ${numbers[first]}`,
      });
    }
    problems.sort((a, b) => a.number - b.number);
    return {
      count: this.#count - repeats,
      problems: problems.map(({ where, problem }) => ({ where, problem })),
    };
  }
}
