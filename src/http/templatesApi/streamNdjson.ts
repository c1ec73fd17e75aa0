/**
 * @module `streamNdjson`: reads an NDJSON request body line by line and writes one answer line per
 * input line as it goes, with backpressure both ways: the next chunk of the body is read only when
 * the answers to the previous one have been handed to the socket (and the socket drained), so
 * memory stays flat however many lines a request carries, and the first answers leave while the
 * client is still sending. Blank lines are skipped (they still count for line numbers).
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';

/** Answers one line: its JSON answer text (without newline), sync or not. */
export type LineHandler = (text: string, line: number) => string | Promise<string>;

/** Options of `streamNdjson`. */
export interface StreamNdjsonOptions {
  /** Longest line in UTF-16 units; a longer one is answered by `tooLong` and skipped. */
  maxLineLength: number;
  /** The answer to an over-long line. */
  tooLong(line: number): string;
}

/**
 * Streams `req`'s lines through `handle` into `res` (whose status and headers the caller has set).
 * Resolves when the body has ended and every answer is written (the caller then writes its last
 * line and ends); rejects when the request is aborted.
 */
export async function streamNdjson(
  req: IncomingMessage,
  res: ServerResponse,
  handle: LineHandler,
  options: StreamNdjsonOptions,
): Promise<void> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let line = 0;
  /** True while skipping the rest of an over-long line. */
  let skipping = false;

  /** Answers one line into `out`; returns a promise only when the handler's answer is one. */
  const answer = (text: string, out: string[]): Promise<void> | undefined => {
    line += 1;
    if (skipping) {
      skipping = false;
      return undefined;
    }
    if (text.length === 0 || (text.charCodeAt(0) <= 32 && text.trim() === '')) return undefined;
    const result = handle(text, line);
    if (typeof result === 'string') {
      out.push(result);
      return undefined;
    }
    // Hold the slot so answers stay in order; most lines never get here (no lookup needed).
    const slot = out.push('') - 1;
    return result.then((value) => {
      out[slot] = value;
    });
  };

  const flush = async (out: string[]) => {
    if (out.length === 0) return;
    if (!res.write(`${out.join('\n')}\n`)) await once(res, 'drain');
  };

  for await (const chunk of req) {
    pending += decoder.write(chunk as Buffer);
    const out: string[] = [];
    let start = 0;
    for (let newline = pending.indexOf('\n'); newline !== -1; newline = pending.indexOf('\n', start)) {
      const waiting = answer(pending.slice(start, newline), out);
      if (waiting !== undefined) await waiting;
      start = newline + 1;
    }
    pending = start === 0 ? pending : pending.slice(start);
    if (pending.length > options.maxLineLength) {
      if (!skipping) out.push(options.tooLong(line + 1));
      skipping = true;
      pending = '';
    }
    await flush(out);
  }
  pending += decoder.end();
  const out: string[] = [];
  if (pending !== '') await answer(pending, out);
  await flush(out);
}
