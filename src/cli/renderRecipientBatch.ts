/**
 * @module Renders one batch of recipients for `unsub render`: NDJSON lines (one buffer per batch)
 * or one file per recipient in `--out DIR`. The same function runs on the main thread and in the
 * render threads, so both paths give byte-identical output.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KeyRing } from '../links/index.js';
import {
  headersJson,
  linksJson,
  render,
  renderJson,
  type CompiledTemplate,
  type Recipient,
  type RenderOptions,
} from '../template/runtime.js';
import { forEachRow, type RecipientBatch } from './recipientBatches.js';

/** What a batch renders with. */
export interface BatchRenderer {
  template: CompiledTemplate;
  /** Loaded once the batch has passed its checks (a refused batch creates no keys file). */
  keyRing: KeyRing | undefined;
  base: Omit<RenderOptions, 'keyRing'>;
  /** `--out DIR`: one file per recipient; else NDJSON lines. */
  out?: string;
  format: 'html' | 'json';
}

/** The per-recipient render options: a message uid in the row (`message_uid`/`messageUid`) wins. */
export function optionsFor(recipient: Recipient, base: RenderOptions): RenderOptions {
  const uid = recipient.message_uid ?? recipient.messageUid;
  return typeof uid === 'string' && uid !== '' ? { ...base, messageUid: uid } : base;
}

/** What one batch rendered: its rows, and the NDJSON bytes unless the rows went to `--out` files. */
export interface RenderedBatch {
  rows: number;
  bytes?: Uint8Array;
  /**
   * Gives the bytes' memory back for a later batch once they are written (and no longer read):
   * set by the runner. A fresh megabyte buffer per batch cost page faults and, on the thread that
   * writes, garbage collections for the external memory.
   */
  release?: () => void;
}

/**
 * Renders every good row of `batch` (the batch was checked before, so bad rows cannot occur unless
 * the file changed; they are skipped).
 */
export function renderRecipientBatch(renderer: BatchRenderer, batch: RecipientBatch): RenderedBatch {
  if (renderer.keyRing === undefined) throw new Error('renderRecipientBatch: the key ring is not loaded');
  const base: RenderOptions = { ...renderer.base, keyRing: renderer.keyRing };
  const { out } = renderer;
  const lines = out === undefined ? new LineBuffer() : undefined;
  let rows = 0;
  forEachRow(batch, (_number, _where, recipient) => {
    if (typeof recipient === 'string') return;
    rows++;
    if (out === undefined) {
      // One NDJSON line; the same keys, in the same order, as `{ contactId, ...result }`. The HTML
      // comes JSON-escaped from the render (escaping it afterwards was a second pass over 10 KB),
      // and is encoded on its own: joined to the rest of the line first, it was copied once more.
      const result = renderJson(renderer.template, recipient, undefined, optionsFor(recipient, base));
      lines!.add(`{"contactId":${recipient.contactId},"html":`);
      lines!.add(result.json);
      lines!.add(`,"headers":${headersJson(result.headers)},"links":${linksJson(result.links)}}\n`);
      return;
    }
    const result = render(renderer.template, recipient, undefined, optionsFor(recipient, base));
    const json = renderer.format === 'json';
    const body = json ? `${JSON.stringify(result, null, 2)}\n` : result.html;
    writeFileSync(path.join(out, `${recipient.contactId}.${json ? 'json' : 'html'}`), body);
  });
  return lines === undefined ? { rows } : { rows, bytes: lines.bytes() };
}

/** Bytes of the last batch's lines: the next batch starts with room for about as many. */
let lastBatchBytes = 1 << 20;

/** Written batches' buffers, ready for the next batches (a few: as many as are in flight). */
const spareBuffers: ArrayBuffer[] = [];
const maxSpareBuffers = 4;

/** Takes back the memory of a batch's bytes once they were written (see `RenderedBatch.release`). */
export function recycleBatchBuffer(buffer: ArrayBuffer): void {
  if (spareBuffers.length < maxSpareBuffers && buffer.byteLength > 0) spareBuffers.push(buffer);
}

/** A buffer of at least `size` bytes: a spare one when it is large enough, else a new one. */
function batchBuffer(size: number): Buffer {
  const spare = spareBuffers.pop();
  if (spare !== undefined && spare.byteLength >= size) return Buffer.from(spare);
  return Buffer.allocUnsafeSlow(size);
}

/**
 * A batch's NDJSON lines as UTF-8, each line encoded into one buffer as it is made. Joining the
 * lines into one string first and encoding that (`Buffer.from(text)`) cost a quarter of a render
 * thread's time: the joined string had to be flattened (copied) before it was encoded. The buffer
 * is not from Buffer's shared pool, so it can move (be transferred) to the main thread, and back
 * once written.
 */
class LineBuffer {
  #buffer = batchBuffer(lastBatchBytes + (lastBatchBytes >> 2));
  #used = 0;

  /** Adds text: a line, or a part of one. */
  add(line: string): void {
    // UTF-8 takes at most three bytes per UTF-16 unit.
    const room = line.length * 3;
    if (this.#buffer.length - this.#used < room) {
      const larger = Buffer.allocUnsafeSlow(Math.max(this.#buffer.length * 2, this.#used + room));
      this.#buffer.copy(larger, 0, 0, this.#used);
      this.#buffer = larger;
    }
    this.#used += this.#buffer.write(line, this.#used);
  }

  bytes(): Uint8Array {
    lastBatchBytes = Math.max(this.#used, 1024);
    return this.#buffer.subarray(0, this.#used);
  }
}
