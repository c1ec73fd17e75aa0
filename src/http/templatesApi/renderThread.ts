/**
 * @module A render thread of the templates API: rebuilds the key ring once, compiles each message
 * template the first time a task of it comes (keeping the last few), and answers blocks of NDJSON
 * lines (`answerBatchLines`) into the output buffer the task names (shared with the request's
 * thread; answers that do not fit come back in memory of their own, moved, not copied) and single
 * renders (`answerOne`, moved back). Tasks come in arrays, the tasks of one turn of the request's
 * thread; answers go back in arrays too.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { KeyRing } from '../../links/index.js';
import { compileMessage, MessageTemplateError, type CompiledMessage } from '../../messageTemplates/index.js';
import type { Recipient } from '../../template/index.js';
import { answerBatchLines, answerOne } from './batchLines.js';
import type { RenderThreadData, RenderThreadReply, RenderThreadTask } from './renderThreads.js';

const data = workerData as RenderThreadData;
const keyRing = KeyRing.fromThreadData(data.keyRing);
const port = parentPort!;
/** Compiled message templates by serial, least recently used first. */
const messages = new Map<number, CompiledMessage>();
const maxMessages = 32;
/** The output buffers the request's thread shares with this thread, by number. */
const outputs = new Map<number, Buffer>();

function messageOf(task: RenderThreadTask): CompiledMessage | undefined {
  const known = messages.get(task.serial);
  if (known !== undefined) {
    messages.delete(task.serial);
    messages.set(task.serial, known);
    return known;
  }
  if (task.source === undefined) return undefined;
  const compiled = compileMessage(task.source.parts, task.source.groups);
  // The request's thread compiled the same parts with the same groups, so this is a bug.
  if (!compiled.ok) throw new Error('the message template did not compile in a render thread');
  messages.set(task.serial, compiled.message);
  for (const oldest of messages.keys()) {
    if (messages.size <= maxMessages) break;
    messages.delete(oldest);
  }
  return compiled.message;
}

/** Answers one task; what its answer moves (not copies) to the request's thread goes into `transfer`. */
function answer(task: RenderThreadTask, transfer: ArrayBuffer[]): RenderThreadReply {
  try {
    if (task.work.kind === 'block' && task.work.out.memory !== undefined)
      outputs.set(task.work.out.slot, Buffer.from(task.work.out.memory));
    const message = messageOf(task);
    const settings = { ...task.settings, keyRing };
    const { work } = task;
    if (message === undefined) return { id: task.id, missing: true };
    if (work.kind === 'one') {
      const recipient = JSON.parse(work.recipient) as Recipient;
      const value = answerOne(message, settings, recipient, work.messageUid);
      transfer.push(value.bytes.buffer as ArrayBuffer);
      return { id: task.id, value };
    }
    const text = Buffer.from(work.block.buffer, work.block.byteOffset, work.block.byteLength).toString(
      'utf8',
    );
    const into = outputs.get(work.out.slot);
    const value = answerBatchLines(message, settings, text, work.firstLine, into);
    if (into !== undefined && value.bytes.buffer === into.buffer)
      return { id: task.id, value: { ...value, bytes: value.bytes.byteLength } };
    transfer.push(value.bytes.buffer as ArrayBuffer);
    return { id: task.id, value };
  } catch (error) {
    return error instanceof MessageTemplateError
      ? { id: task.id, refused: { code: error.code, message: error.message, field: error.field } }
      : { id: task.id, error: { message: (error as Error).message } };
  }
}

// The tasks of one turn of the request's thread come in one message; their answers go back in one,
// but a block's answer goes at once (the stream is waiting for it, and it is worth a message).
port.on('message', (tasks: RenderThreadTask[]) => {
  let replies: RenderThreadReply[] = [];
  let transfer: ArrayBuffer[] = [];
  for (const task of tasks) {
    replies.push(answer(task, transfer));
    if (task.work.kind === 'block') {
      port.postMessage(replies, transfer);
      replies = [];
      transfer = [];
    }
  }
  if (replies.length > 0) port.postMessage(replies, transfer);
});
port.postMessage({ ready: true });
