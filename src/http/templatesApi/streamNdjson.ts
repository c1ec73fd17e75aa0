/**
 * @module `streamNdjson`: reads an NDJSON request body in blocks of whole lines (what each chunk of
 * the body completes) and writes each block's answers, in the blocks' order, as they are ready.
 * Up to `depth` blocks are answered at once (on render threads); with that many waiting to be
 * written, or the socket not drained, the body is not read further: backpressure both ways, so
 * memory stays flat however many lines a request carries, and the first answers leave while the
 * client is still sending. The lines are never decoded here: splitting and counting them is done on
 * the bytes (a newline byte is never part of a longer UTF-8 character).
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A block's answers: bytes to write in order, and what to call once the socket is done with them. */
export interface BlockAnswers {
  parts: Uint8Array[];
  /**
   * Called once every part has been handed to the operating system (or the response failed):
   * the parts' memory may then be reused (render threads write into buffers they are given back).
   */
  written?: () => void;
}

/** Answers one block of whole lines numbered from `firstLine`. */
export type BlockHandler = (block: Uint8Array, firstLine: number) => Promise<BlockAnswers>;

/** Options of `streamNdjson`. */
export interface StreamNdjsonOptions {
  /**
   * A line longer than this many bytes is answered by `tooLong` and skipped without being held
   * (shorter lines reach the handler, which applies the exact limit).
   */
  maxLineBytes: number;
  /** The answer to an over-long line (without newline). */
  tooLong(line: number): string;
  /** Blocks answered at once (at least 1). */
  depth: number;
}

const newline = 10;

/** Copies pieces into one buffer the block owns (chunks are views of the socket's buffers). */
function joined(pieces: Uint8Array[], bytes: number): Uint8Array {
  const block = new Uint8Array(bytes);
  let at = 0;
  for (const piece of pieces) {
    block.set(piece, at);
    at += piece.byteLength;
  }
  return block;
}

/** Newline bytes in `bytes`. */
function countLines(bytes: Buffer): number {
  let lines = 0;
  for (let at = bytes.indexOf(newline); at !== -1; at = bytes.indexOf(newline, at + 1)) lines++;
  return lines;
}

/**
 * Streams `req`'s lines through `handle` into `res` (whose status and headers the caller has set).
 * Resolves when the body has ended and every answer is written (the caller then writes its last
 * line and ends); rejects when the request is aborted or a block could not be answered.
 */
export async function streamNdjson(
  req: IncomingMessage,
  res: ServerResponse,
  handle: BlockHandler,
  options: StreamNdjsonOptions,
): Promise<void> {
  /** The line not yet complete. */
  let pieces: Buffer[] = [];
  let pendingBytes = 0;
  /** Lines read so far. */
  let line = 0;
  /** True while skipping the rest of an over-long line. */
  let skipping = false;
  /** Per block in flight: resolves when its answers are written. */
  const written: Promise<void>[] = [];
  let last: Promise<void> = Promise.resolve();

  const write = async ({ parts, written }: BlockAnswers) => {
    // The last write's callback comes after every earlier one's (one stream, in order).
    let last = -1;
    for (let at = 0; at < parts.length; at++) if (parts[at]!.byteLength > 0) last = at;
    if (last === -1) written?.();
    for (let at = 0; at <= last; at++) {
      const bytes = parts[at]!;
      if (bytes.byteLength === 0) continue;
      const more = at === last && written ? res.write(bytes, () => written()) : res.write(bytes);
      if (!more) await once(res, 'drain');
    }
  };
  /** Queues a block's answers behind the previous block's. */
  const enqueue = async (answers: Promise<BlockAnswers>) => {
    answers.catch(() => {}); // awaited in turn below; must not count as unhandled meanwhile
    last = last.then(async () => write(await answers));
    // A failed block stops the reading too (the caller then gives up the response).
    last.catch((error: unknown) => req.destroy(error as Error));
    written.push(last);
    if (written.length >= options.depth) await written.shift();
  };
  const tooLong = async () => {
    await enqueue(Promise.resolve({ parts: [Buffer.from(`${options.tooLong(line + 1)}\n`)] }));
    skipping = true;
    pieces = [];
    pendingBytes = 0;
  };

  for await (const data of req) {
    const chunk = data as Buffer;
    const end = chunk.lastIndexOf(newline);
    if (end === -1) {
      if (skipping) continue;
      pieces.push(chunk);
      pendingBytes += chunk.byteLength;
      if (pendingBytes > options.maxLineBytes) await tooLong();
      continue;
    }
    let start = 0;
    if (skipping) {
      // The over-long line ends at this chunk's first newline; it was answered already.
      start = chunk.indexOf(newline) + 1;
      line += 1;
      skipping = false;
    }
    const whole = chunk.subarray(start, end + 1);
    if (whole.byteLength > 0) {
      const firstLine = line + 1;
      line += countLines(whole);
      pieces.push(whole);
      await enqueue(handle(joined(pieces, pendingBytes + whole.byteLength), firstLine));
    }
    const rest = chunk.subarray(end + 1);
    pieces = rest.byteLength > 0 ? [rest] : [];
    pendingBytes = rest.byteLength;
    if (pendingBytes > options.maxLineBytes) await tooLong();
  }
  if (!skipping && pendingBytes > 0) await enqueue(handle(joined(pieces, pendingBytes), line + 1));
  await Promise.all(written);
}
