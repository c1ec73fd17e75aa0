/**
 * @module A render thread of `unsub render`: builds the template from the main thread's compiled
 * spec (no grammar loaded) and loads the key ring once,
 * then checks or renders the batches the main thread sends, answering each with its id. Output
 * bytes are moved back (transferred), not copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { KeyRing } from '../links/index.js';
// The grammar-free entry: this thread never parses a template (see `template/runtime.ts`).
import { templateFromSpec, TemplateError } from '../template/runtime.js';
import { checkBatch } from './recipientBatches.js';
import { recycleBatchBuffer, renderRecipientBatch, type BatchRenderer } from './renderRecipientBatch.js';
import type { RenderThreadData, RenderThreadReply, RenderThreadTask } from './renderThreads.js';

const data = workerData as RenderThreadData;
const built = templateFromSpec(data.spec);
const port = parentPort!;

if ('error' in built) {
  // The main thread built the same spec first, so this is a bug.
  throw new TemplateError('render_failed', 'the template did not compile in the render thread');
}
const renderer: BatchRenderer = {
  template: built.template,
  keyRing: undefined,
  base: data.base,
  format: data.format,
  ...(data.out === undefined ? {} : { out: data.out }),
};
/** The key ring, read at the first render: the main thread creates the file after the checks pass. */
let keyRing: Promise<KeyRing> | undefined;

port.on('message', async (task: RenderThreadTask) => {
  if (task.kind === 'recycle') return recycleBatchBuffer(task.buffer);
  let reply: RenderThreadReply;
  const transfer: ArrayBuffer[] = [];
  try {
    if (task.kind === 'check') reply = { id: task.id, value: checkBatch(task.batch) };
    else {
      keyRing ??= KeyRing.load(data.keysFile, { maxAgeDays: data.maxAgeDays });
      renderer.keyRing ??= await keyRing;
      const value = renderRecipientBatch(renderer, task.batch);
      if (value.bytes !== undefined) transfer.push(value.bytes.buffer as ArrayBuffer);
      reply = { id: task.id, value };
    }
  } catch (error) {
    const failure = error as Error & { code?: string };
    reply = { id: task.id, error: { message: failure.message, code: failure.code } };
  }
  port.postMessage(reply, transfer);
});
port.postMessage({ ready: true });
