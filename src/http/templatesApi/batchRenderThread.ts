/**
 * @module A batch render thread of the templates API: rebuilds the key ring once, compiles each
 * message template the first time a block of it comes (keeping the last few), and answers blocks of
 * NDJSON lines with `answerBatchLines`, moving the answer bytes back (transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { KeyRing } from '../../links/index.js';
import { compileMessage, type CompiledMessage } from '../../messageTemplates/index.js';
import { answerBatchLines } from './batchLines.js';
import type { BatchThreadData, BatchThreadReply, BatchThreadTask } from './batchRenderThreads.js';

const data = workerData as BatchThreadData;
const keyRing = KeyRing.fromThreadData(data.keyRing);
const port = parentPort!;
/** Compiled message templates by serial, least recently used first. */
const messages = new Map<number, CompiledMessage>();
const maxMessages = 32;

function messageOf(task: BatchThreadTask): CompiledMessage | undefined {
  const known = messages.get(task.serial);
  if (known !== undefined) {
    messages.delete(task.serial);
    messages.set(task.serial, known);
    return known;
  }
  if (task.source === undefined) return undefined;
  const compiled = compileMessage(task.source.parts, task.source.groups);
  // The request's thread compiled the same parts with the same groups, so this is a bug.
  if (!compiled.ok) throw new Error('the message template did not compile in a batch render thread');
  messages.set(task.serial, compiled.message);
  for (const oldest of messages.keys()) {
    if (messages.size <= maxMessages) break;
    messages.delete(oldest);
  }
  return compiled.message;
}

port.on('message', (task: BatchThreadTask) => {
  let reply: BatchThreadReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const message = messageOf(task);
    if (message === undefined) reply = { id: task.id, missing: true };
    else {
      const text = Buffer.from(task.block.buffer, task.block.byteOffset, task.block.byteLength).toString(
        'utf8',
      );
      const value = answerBatchLines(message, { ...task.settings, keyRing }, text, task.firstLine);
      transfer.push(value.bytes.buffer as ArrayBuffer);
      reply = { id: task.id, value };
    }
  } catch (error) {
    reply = { id: task.id, error: { message: (error as Error).message } };
  }
  port.postMessage(reply, transfer);
});
port.postMessage({ ready: true });
