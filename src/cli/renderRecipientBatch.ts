/**
 * @module Renders one batch of recipients for `unsub render`: NDJSON lines (one buffer per batch)
 * or one file per recipient in `--out DIR`. The same function runs on the main thread and in the
 * render threads, so both paths give byte-identical output.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KeyRing } from '../links/index.js';
import { render, type CompiledTemplate, type Recipient, type RenderOptions } from '../template/index.js';
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
}

/**
 * Renders every good row of `batch` (the batch was checked before, so bad rows cannot occur unless
 * the file changed; they are skipped).
 */
export function renderRecipientBatch(renderer: BatchRenderer, batch: RecipientBatch): RenderedBatch {
  if (renderer.keyRing === undefined) throw new Error('renderRecipientBatch: the key ring is not loaded');
  const base: RenderOptions = { ...renderer.base, keyRing: renderer.keyRing };
  let text = '';
  let rows = 0;
  forEachRow(batch, (_number, _where, recipient) => {
    if (typeof recipient === 'string') return;
    const result = render(renderer.template, recipient, undefined, optionsFor(recipient, base));
    rows++;
    if (renderer.out === undefined) {
      // One NDJSON line; the same keys, in the same order, as `{ contactId, ...result }`.
      text += `{"contactId":${recipient.contactId},"html":${JSON.stringify(result.html)},"headers":${JSON.stringify(result.headers)},"links":${JSON.stringify(result.links)}}\n`;
      return;
    }
    const json = renderer.format === 'json';
    const body = json ? `${JSON.stringify(result, null, 2)}\n` : result.html;
    writeFileSync(path.join(renderer.out, `${recipient.contactId}.${json ? 'json' : 'html'}`), body);
  });
  if (renderer.out !== undefined) return { rows };
  // Buffer.from encodes twice as fast as TextEncoder; a small result shares Buffer's pool, and is
  // copied out of it so the bytes own their memory and can move between threads.
  const bytes = Buffer.from(text);
  return { rows, bytes: bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes) };
}
