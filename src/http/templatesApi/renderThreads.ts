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
    }
  | { kind: 'one'; recipient: Recipient; messageUid: string | undefined };

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
 * A render thread's answer (`missing`: send the template's source again; `refused`: the render's
 * `MessageTemplateError`, to throw again on the request's thread).
 */
export type RenderThreadReply =
  | { id: number; value: BlockAnswer | OneAnswer }
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
  resolve(value: BlockAnswer | OneAnswer): void;
  reject(error: Error): void;
}

/** One render thread, the templates it has been sent and its outstanding tasks. */
class RenderThread {
  readonly pending = new Map<number, Pending>();
  readonly ready: Promise<void>;
  /** Serials whose source this thread was sent (it may have dropped some since: it says `missing`). */
  readonly sent = new Set<number>();
  dead = false;
  readonly #worker: Worker;

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
        this.#worker.on('message', (reply: RenderThreadReply) => this.#settle(reply));
        this.#worker.unref(); // again: adding a message listener refs the thread's port
      },
      () => {},
    );
    this.#worker.on('error', (error) => this.#failAll(error));
    this.#worker.on('exit', () => this.#failAll(new Error('a render thread stopped')));
  }

  run(task: RenderThreadTask, source: CompiledMessage['source']): Promise<BlockAnswer | OneAnswer> {
    return new Promise<BlockAnswer | OneAnswer>((resolve, reject) => {
      this.pending.set(task.id, { task, source, resolve, reject });
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
    this.#worker.postMessage(task);
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
    if ('refused' in reply) {
      const { code, message, field } = reply.refused;
      pending.reject(new MessageTemplateError(code, message, field === undefined ? {} : { field }));
    } else if ('error' in reply) pending.reject(new Error(reply.error.message));
    else pending.resolve(reply.value);
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
      (await run(message, settings, { kind: 'block', block, firstLine })) as BlockAnswer,
    answerOne: async (message, recipient, messageUid, settings) =>
      (await run(message, settings, { kind: 'one', recipient, messageUid })) as OneAnswer,
    // Two per thread: one working, one queued behind it, so no thread waits for the request's thread.
    depth: count * 2,
    async close() {
      clearTimeout(idle);
      await stop();
    },
  };
}
