/**
 * @module Recipients in batches for `unsub render`: a batch file is read in runs of rows that a
 * render thread can check or render on its own. NDJSON goes out as raw lines (the thread parses
 * them, so JSON parsing is shared between cores); CSV and JSON arrays go out as parsed rows. A
 * batch carries its position (line or item numbers), so every problem still names its line.
 */
import { createReadStream } from 'node:fs';
import { readRecipientRows, recipientId, toRecipient, type RecipientFormat } from './recipientRows.js';

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
 * (readline's per-line events and the UTF-8 decoding would keep the reading thread busy). Each
 * batch is a copy of exactly its bytes, so it moves to a render thread without the rest of the
 * chunk; only a batch that spans two chunks is put together from both (joining every chunk to the
 * rest of the one before it copied the whole file once more).
 */
async function* lineBatches(file: string, size: number): AsyncGenerator<LineBatch> {
  let pieces: Buffer[] = []; // the start of the next batch, from earlier chunks
  let piecesLines = 0;
  let next = 1;
  const batchOf = (bytes: Uint8Array): LineBatch => ({ kind: 'lines', first: next, bytes });
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      let end = start;
      let lines = piecesLines;
      for (let at = chunk.indexOf(10, end); lines < size && at !== -1; at = chunk.indexOf(10, end)) {
        lines++;
        end = at + 1;
      }
      if (lines < size) {
        if (start < chunk.length) pieces.push(chunk.subarray(start));
        piecesLines = lines;
        break; // the rest waits for the next chunk
      }
      const bytes =
        pieces.length === 0
          ? new Uint8Array(chunk.subarray(start, end))
          : new Uint8Array(Buffer.concat([...pieces, chunk.subarray(start, end)]));
      yield batchOf(bytes);
      next += lines;
      pieces = [];
      piecesLines = 0;
      start = end;
    }
  }
  if (pieces.length > 0) yield batchOf(new Uint8Array(Buffer.concat(pieces)));
}

/**
 * Calls `fn` with each line of a line batch (a last line without its line end included; `\r\n`
 * ends a line too) and its index in the batch. Each line is decoded on its own: a whole batch
 * decoded at once is a string of hundreds of kilobytes, which V8 puts in its large-object space (a
 * fresh mapping each time); decoding it cost several times as much per row as the lines do one by
 * one. A line end (byte 10) is never part of a multi-byte UTF-8 sequence, so the lines are the same.
 */
function forEachLine(batch: LineBatch, fn: (line: string, index: number) => void): void {
  const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
  // The byte order mark of the file's first line (EF BB BF) is not part of the line.
  let start = batch.first === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (let index = 0; start < bytes.length || index === 0; index++) {
    let end = bytes.indexOf(10, start);
    const next = end === -1 ? bytes.length : end + 1;
    if (end === -1) end = bytes.length;
    if (end > start && bytes[end - 1] === 13) end--; // a `\r` before the line end (or at the end)
    fn(bytes.toString('utf8', start, end), index);
    start = next;
  }
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
 * Calls `fn` for every row of `batch` with its number and parsed value (or why it could not be
 * parsed). Blank NDJSON lines are skipped, as before.
 */
function forEachValue(
  batch: RecipientBatch,
  fn: (number: number, where: string, row: { value: unknown } | string) => void,
): void {
  if (batch.kind === 'lines') {
    forEachLine(batch, (line, index) => {
      if (line.trim() === '') return;
      const number = batch.first + index;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        fn(number, `line ${number}`, `invalid JSON: ${(error as Error).message}`);
        return;
      }
      fn(number, `line ${number}`, { value });
    });
    return;
  }
  for (let i = 0; i < batch.values.length; i++) {
    const number = batch.numbers[i]!;
    const where = `${batch.unit} ${number === 0 ? '?' : number}`;
    const parsed = batch.values[i]!;
    fn(number, where, 'problem' in parsed ? parsed.problem : parsed);
  }
}

/**
 * Calls `fn` for every row of `batch` with its number and recipient (or problem). Blank NDJSON
 * lines are skipped, as before.
 */
export function forEachRow(
  batch: RecipientBatch,
  fn: (number: number, where: string, row: ReturnType<typeof toRecipient>) => void,
): void {
  forEachValue(batch, (number, where, row) =>
    fn(number, where, typeof row === 'string' ? row : toRecipient(row.value)),
  );
}

/** Checks every row of a batch: the good rows' ids and numbers, and each bad row's problem. */
export function checkBatch(batch: RecipientBatch): BatchCheck {
  const check: BatchCheck = { ids: [], numbers: [], problems: [] };
  forEachValue(batch, (number, where, row) => {
    const id = typeof row === 'string' ? row : recipientId(row.value);
    if (typeof id === 'string') check.problems.push({ number, where, problem: id });
    else {
      check.ids.push(id);
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
