/**
 * @module Where the templates API renders: on the request's thread (`localRenderer`), or on a pool
 * of render threads (`renderThreads`) so that renders use every core. For an NDJSON batch the
 * request's thread only splits the body into blocks of whole lines and writes the answers in order;
 * parsing, rendering and JSON of each line happen in the threads. A single render sends the
 * recipient and gets its JSON answer back. Both ways run the same functions (`batchLines.ts`), so
 * the answers are byte-identical.
 */
import type { Worker } from 'node:worker_threads';
import { startSiblingWorker } from '../../threads/index.js';
import type { KeyRing, KeyRingThreadData } from '../../links/index.js';
import {
  MessageTemplateError,
  type CompiledMessage,
  type MessageTemplateErrorCode,
} from '../../messageTemplates/index.js';
import type { Recipient } from '../../template/index.js';
import { answerBatchLines, answerOne, type RenderSettings, type BlockAnswer } from './batchLines.js';

/** What a render thread starts from. */
export interface RenderThreadData {
  keyRing: KeyRingThreadData;
}

/** What a render thread is asked: a block of batch lines, or one recipient (`POST /render`). */
export type RenderWork =
  | {
      kind: 'block';
      /** Whole lines, UTF-8 (copied: a thread that lacks the template is sent the block again). */
      block: Uint8Array;
      firstLine: number;
      /** The thread's output buffer to answer into: its number, and its memory when the thread lacks it. */
      out: { slot: number; memory: SharedArrayBuffer | undefined };
    }
  | {
      kind: 'one';
      /**
       * The recipient as JSON (it came from a JSON body and the store's JSON fields): a string
       * crosses threads for a copy of its characters, an object field by field, which on the
       * request's thread cost about as much as parsing it again on the render thread.
       */
      recipient: string;
      messageUid: string | undefined;
    };

/** A task for a render thread: its template by serial, with its source unless the thread has it. */
export interface RenderThreadTask {
  id: number;
  serial: number;
  source: CompiledMessage['source'] | undefined;
  settings: Omit<RenderSettings, 'keyRing'>;
  work: RenderWork;
}

/** The JSON answer of one render (`{contactId, subject, html, text, headers, links}`), UTF-8. */
export interface OneAnswer {
  bytes: Uint8Array;
}

/**
 * A block's answers as a thread sends them: `bytes` is a length when they are in the task's output
 * buffer, else memory of their own (moved, not copied), when they did not fit.
 */
export type BlockReply = Omit<BlockAnswer, 'bytes' | 'release'> & { bytes: Uint8Array | number };

/**
 * A render thread's answer (`missing`: send the template's source again; `refused`: the render's
 * `MessageTemplateError`, to throw again on the request's thread). Tasks travel to a thread, and
 * answers back, in arrays: the tasks or answers of one turn of the sender's event loop.
 */
export type RenderThreadReply =
  | { id: number; value: BlockReply | OneAnswer }
  | { id: number; missing: true }
  | { id: number; refused: { code: MessageTemplateErrorCode; message: string; field: string | undefined } }
  | { id: number; error: { message: string } };

/** Renders blocks of batch lines and single messages. */
export interface MessageRenderer {
  /** Answers a block of NDJSON batch lines numbered from `firstLine`. */
  answerBlock(
    message: CompiledMessage,
    block: Uint8Array,
    firstLine: number,
    settings: Omit<RenderSettings, 'keyRing'>,
  ): Promise<BlockAnswer>;
  /**
   * The JSON answer of one render.
   * @throws MessageTemplateError `invalid_recipient` naming `recipient.<field>`, as `renderFor`.
   */
  answerOne(
    message: CompiledMessage,
    recipient: Recipient,
    messageUid: string | undefined,
    settings: Omit<RenderSettings, 'keyRing'>,
  ): Promise<OneAnswer>;
  /** Blocks worth keeping in flight. */
  readonly depth: number;
  /** Stops the threads (none are started until the first render). */
  close(): Promise<void>;
}

const decode = (block: Uint8Array) =>
  Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString('utf8');

/** Renders on the calling thread. */
export function localRenderer(keyRing: KeyRing): MessageRenderer {
  return {
    answerBlock: async (message, block, firstLine, settings) =>
      answerBatchLines(message, { ...settings, keyRing }, decode(block), firstLine),
    answerOne: async (message, recipient, messageUid, settings) =>
      answerOne(message, { ...settings, keyRing }, recipient, messageUid),
    depth: 1,
    close: async () => {},
  };
}

/** A render thread on `renderThread` (compiled, or from source under tsx or vitest). */
function startWorker(data: RenderThreadData): Worker {
  // A larger young generation: a block makes megabytes of short-lived strings (as in `unsub render`'s threads).
  return startSiblingWorker(import.meta.url, 'renderThread', {
    workerData: data,
    resourceLimits: { maxYoungGenerationSizeMb: 64 },
  });
}

interface Pending {
  task: RenderThreadTask;
  source: CompiledMessage['source'];
  /** A block's output buffer. */
  output: Output | undefined;
  resolve(value: BlockAnswer | OneAnswer): void;
  reject(error: Error): void;
}

/** An output buffer shared with one thread, known there by its number. */
interface Output {
  slot: number;
  memory: SharedArrayBuffer;
  /** Whether the thread has this memory under this number. */
  sent: boolean;
}

/** The largest output buffer made (a block's answers beyond it come in memory of their own). */
const maxOutputBytes = 64 << 20;

/**
 * The output buffers of one thread. The thread writes a block's answers into one, the request's
 * thread writes them to the socket straight from it and gives it back once written, for a later
 * block: no memory is allocated per block on either side. When each block's answers came over in a
 * buffer of their own, moved from the thread, V8 counted every one as new external memory on the
 * request's thread and ran a full garbage collection every few hundred milliseconds (about a sixth
 * of the server's CPU per recipient under the bench). There are as many buffers as blocks were ever
 * in flight on the thread at once; they go with the thread when the pool stops.
 */
class OutputBuffers {
  readonly #free: Output[] = [];
  #slots = 0;
  /** Bytes of a new buffer: grows to fit the largest block's answers seen, with room to spare. */
  #bytes = 1 << 20;

  take(): Output {
    const output = this.#free.pop();
    if (output === undefined)
      return { slot: this.#slots++, memory: new SharedArrayBuffer(this.#bytes), sent: false };
    if (output.memory.byteLength < this.#bytes) {
      output.memory = new SharedArrayBuffer(this.#bytes);
      output.sent = false;
    }
    return output;
  }

  /** Takes a buffer back; `needed`: the bytes of answers that did not fit into it. */
  give(output: Output, needed = 0): void {
    if (needed > output.memory.byteLength) {
      const mb = 1 << 20;
      this.#bytes = Math.min(maxOutputBytes, Math.max(this.#bytes, Math.ceil((needed * 1.25) / mb) * mb));
    }
    this.#free.push(output);
  }
}

/**
 * One render thread, the templates it has been sent and its outstanding tasks.
 *
 * Tasks go to the thread in one message per turn of the event loop, and its answers come back in
 * one message per turn of its own: under load, a message per single render cost the request's
 * thread more than the render itself (measured in a V8 profile of `POST /render` at concurrency 32:
 * `postMessage` was the largest item, an eighth of the thread's samples — each message wakes the
 * other thread, which in a virtual machine is a costly interrupt). A block of batch lines is sent
 * at once and answered at once: it is large, and the stream waits for it.
 */
class RenderThread {
  readonly pending = new Map<number, Pending>();
  readonly ready: Promise<void>;
  /** Serials whose source this thread was sent (it may have dropped some since: it says `missing`). */
  readonly sent = new Set<number>();
  dead = false;
  readonly #worker: Worker;
  readonly #outputs = new OutputBuffers();
  /** Tasks of this turn, not yet sent. */
  #queued: RenderThreadTask[] = [];
  #flushScheduled = false;

  constructor(data: RenderThreadData) {
    this.#worker = startWorker(data);
    // An idle pool must not keep the process alive (a server that is closed, a test that ends).
    this.#worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.#worker.once('error', reject);
      this.#worker.once('message', () => resolve());
    });
    this.ready.then(
      () => {
        this.#worker.on('message', (replies: RenderThreadReply[]) => {
          for (const reply of replies) this.#settle(reply);
        });
        this.#worker.unref(); // again: adding a message listener refs the thread's port
      },
      () => {},
    );
    this.#worker.on('error', (error) => this.#failAll(error));
    this.#worker.on('exit', () => this.#failAll(new Error('a render thread stopped')));
  }

  run(task: RenderThreadTask, source: CompiledMessage['source']): Promise<BlockAnswer | OneAnswer> {
    return new Promise<BlockAnswer | OneAnswer>((resolve, reject) => {
      let output: Output | undefined;
      if (task.work.kind === 'block') {
        output = this.#outputs.take();
        task.work.out = { slot: output.slot, memory: output.sent ? undefined : output.memory };
        output.sent = true;
      }
      this.pending.set(task.id, { task, source, output, resolve, reject });
      this.#post(task);
    });
  }

  async close(): Promise<void> {
    this.#worker.removeAllListeners('exit');
    // A render still outstanding fails instead of waiting for ever (the request gives up its answer).
    this.#failAll(new Error('the render threads were closed'));
    await this.#worker.terminate();
  }

  #post(task: RenderThreadTask): void {
    if (task.source !== undefined) this.sent.add(task.serial);
    if (this.sent.size > 1000) this.sent.clear(); // bounded; the thread asks again for what it lacks
    this.#queued.push(task);
    if (task.work.kind === 'block') this.#flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // After this turn's I/O callbacks: the requests whose bodies came in together go together.
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#queued.length === 0 || this.dead) return;
    const tasks = this.#queued;
    this.#queued = [];
    this.#worker.postMessage(tasks);
  }

  #settle(reply: RenderThreadReply): void {
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    if ('missing' in reply) {
      // The thread dropped this template (it keeps the last few): the same block with its source.
      pending.task = { ...pending.task, source: pending.source };
      this.#post(pending.task);
      return;
    }
    this.pending.delete(reply.id);
    const { output } = pending;
    if ('refused' in reply) {
      if (output) this.#outputs.give(output);
      const { code, message, field } = reply.refused;
      pending.reject(new MessageTemplateError(code, message, field === undefined ? {} : { field }));
    } else if ('error' in reply) {
      if (output) this.#outputs.give(output);
      pending.reject(new Error(reply.error.message));
    } else if (output === undefined || !('lookups' in reply.value)) pending.resolve(reply.value as OneAnswer);
    else pending.resolve(this.#blockAnswer(reply.value, output));
  }

  /** A block's answers: a view of its output buffer, given back once written; or their own memory. */
  #blockAnswer(reply: BlockReply, output: Output): BlockAnswer {
    const { bytes } = reply;
    if (typeof bytes !== 'number') {
      this.#outputs.give(output, bytes.byteLength);
      return { ...reply, bytes };
    }
    let given = false;
    const release = () => {
      if (given) return;
      given = true;
      this.#outputs.give(output);
    };
    return { ...reply, bytes: new Uint8Array(output.memory, 0, bytes), release };
  }

  #failAll(error: Error): void {
    this.dead = true;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

/** Options of `renderThreads`. */
export interface RenderThreadsOptions {
  /** How many threads (at least 1). */
  threads: number;
  /** The ring the threads sign with (a snapshot is sent to each when it starts). */
  keyRing: KeyRing;
  /** The threads stop after this long without a render (ms; default 60,000): idle memory goes back. */
  idleMs?: number;
}

/**
 * A pool of `threads` render threads, started at the first render (and again after one stops); each
 * task goes to the thread with the fewest outstanding.
 */
export function renderThreads(options: RenderThreadsOptions): MessageRenderer {
  const count = Math.max(1, Math.floor(options.threads));
  let threads: RenderThread[] = [];
  const serials = new WeakMap<CompiledMessage, number>();
  let nextSerial = 1;
  let nextId = 0;
  let idle: NodeJS.Timeout | undefined;
  const idleMs = options.idleMs ?? 60_000;
  const stop = async () => {
    const closing = threads;
    threads = [];
    await Promise.all(closing.map((thread) => thread.close()));
  };
  /** After the last outstanding block, the idle timer starts. */
  const settled = () => {
    if (threads.some((thread) => thread.pending.size > 0)) return;
    clearTimeout(idle);
    idle = setTimeout(() => void stop(), idleMs).unref();
  };

  const pick = async (): Promise<RenderThread> => {
    threads = threads.filter((thread) => !thread.dead);
    while (threads.length < count)
      threads.push(new RenderThread({ keyRing: options.keyRing.toThreadData() }));
    await Promise.all(threads.map((thread) => thread.ready));
    let best = threads[0]!;
    for (const thread of threads) if (thread.pending.size < best.pending.size) best = thread;
    return best;
  };

  const run = async (
    message: CompiledMessage,
    settings: Omit<RenderSettings, 'keyRing'>,
    work: RenderWork,
  ): Promise<BlockAnswer | OneAnswer> => {
    clearTimeout(idle);
    let serial = serials.get(message);
    if (serial === undefined) serials.set(message, (serial = nextSerial++));
    const thread = await pick();
    clearTimeout(idle);
    const source = thread.sent.has(serial) ? undefined : message.source;
    const answer = thread.run({ id: nextId++, serial, source, settings, work }, message.source);
    answer.then(settled, settled);
    return answer;
  };

  return {
    answerBlock: async (message, block, firstLine, settings) =>
      (await run(message, settings, {
        kind: 'block',
        block,
        firstLine,
        out: { slot: -1, memory: undefined }, // the thread's own buffer, set when it is sent
      })) as BlockAnswer,
    answerOne: async (message, recipient, messageUid, settings) =>
      (await run(message, settings, {
        kind: 'one',
        recipient: JSON.stringify(recipient),
        messageUid,
      })) as OneAnswer,
    // Two per thread: one working, one queued behind it, so no thread waits for the request's thread.
    depth: count * 2,
    async close() {
      clearTimeout(idle);
      await stop();
    },
  };
}
