/**
 * @module Where the blocks of an NDJSON batch render: on the request's thread (`localBatchRenderer`),
 * or on a pool of render threads (`batchRenderThreads`) so that a batch uses every core: the
 * request's thread only splits the body into blocks of whole lines and writes the answers in order;
 * parsing, rendering and JSON of each line happen in the threads. Both run `answerBatchLines`, so
 * the answers are byte-identical.
 */
import { Worker } from 'node:worker_threads';
import type { KeyRing, KeyRingThreadData } from '../../links/index.js';
import type { CompiledMessage } from '../../messageTemplates/index.js';
import { answerBatchLines, type BatchRenderSettings, type BlockAnswer } from './batchLines.js';

/** What a batch render thread starts from. */
export interface BatchThreadData {
  keyRing: KeyRingThreadData;
}

/** A block for a render thread: its template by serial, with its source unless the thread has it. */
export interface BatchThreadTask {
  id: number;
  serial: number;
  source: CompiledMessage['source'] | undefined;
  /** Whole lines, UTF-8 (copied: a thread that lacks the template is sent the block again). */
  block: Uint8Array;
  firstLine: number;
  settings: Omit<BatchRenderSettings, 'keyRing'>;
}

/** A render thread's answer to one block (`missing`: send the template's source again). */
export type BatchThreadReply =
  | { id: number; value: BlockAnswer }
  | { id: number; missing: true }
  | { id: number; error: { message: string } };

/** Answers blocks of batch lines. */
export interface BatchRenderer {
  answer(
    message: CompiledMessage,
    block: Uint8Array,
    firstLine: number,
    settings: Omit<BatchRenderSettings, 'keyRing'>,
  ): Promise<BlockAnswer>;
  /** Blocks worth keeping in flight. */
  readonly depth: number;
  /** Stops the threads (none are started until the first block). */
  close(): Promise<void>;
}

const decode = (block: Uint8Array) =>
  Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString('utf8');

/** Answers every block on the calling thread. */
export function localBatchRenderer(keyRing: KeyRing): BatchRenderer {
  return {
    answer: async (message, block, firstLine, settings) =>
      answerBatchLines(message, { ...settings, keyRing }, decode(block), firstLine),
    depth: 1,
    close: async () => {},
  };
}

/** A render thread on `batchRenderThread.js` (or `.ts` from source, under tsx or vitest). */
function startWorker(data: BatchThreadData): Worker {
  const source = import.meta.url.endsWith('.ts');
  const entry = new URL(`./batchRenderThread.${source ? 'ts' : 'js'}`, import.meta.url);
  // A larger young generation: a block makes megabytes of short-lived strings (as in `unsub render`'s threads).
  const resourceLimits = { maxYoungGenerationSizeMb: 64 };
  if (!source) return new Worker(entry, { workerData: data, resourceLimits });
  // From source the thread needs the TypeScript loader (a dev dependency) before the entry loads.
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: data, resourceLimits });
}

interface Pending {
  task: BatchThreadTask;
  source: CompiledMessage['source'];
  resolve(value: BlockAnswer): void;
  reject(error: Error): void;
}

/** One render thread, the templates it has been sent and its outstanding blocks. */
class RenderThread {
  readonly pending = new Map<number, Pending>();
  readonly ready: Promise<void>;
  /** Serials whose source this thread was sent (it may have dropped some since: it says `missing`). */
  readonly sent = new Set<number>();
  dead = false;
  readonly #worker: Worker;

  constructor(data: BatchThreadData) {
    this.#worker = startWorker(data);
    // An idle pool must not keep the process alive (a server that is closed, a test that ends).
    this.#worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.#worker.once('error', reject);
      this.#worker.once('message', () => resolve());
    });
    this.ready.then(
      () => {
        this.#worker.on('message', (reply: BatchThreadReply) => this.#settle(reply));
        this.#worker.unref(); // again: adding a message listener refs the thread's port
      },
      () => {},
    );
    this.#worker.on('error', (error) => this.#failAll(error));
    this.#worker.on('exit', () => this.#failAll(new Error('a batch render thread stopped')));
  }

  run(task: BatchThreadTask, source: CompiledMessage['source']): Promise<BlockAnswer> {
    return new Promise<BlockAnswer>((resolve, reject) => {
      this.pending.set(task.id, { task, source, resolve, reject });
      this.#post(task);
    });
  }

  async close(): Promise<void> {
    this.#worker.removeAllListeners('exit');
    await this.#worker.terminate();
  }

  #post(task: BatchThreadTask): void {
    if (task.source !== undefined) this.sent.add(task.serial);
    if (this.sent.size > 1000) this.sent.clear(); // bounded; the thread asks again for what it lacks
    this.#worker.postMessage(task);
  }

  #settle(reply: BatchThreadReply): void {
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    if ('missing' in reply) {
      // The thread dropped this template (it keeps the last few): the same block with its source.
      pending.task = { ...pending.task, source: pending.source };
      this.#post(pending.task);
      return;
    }
    this.pending.delete(reply.id);
    if ('error' in reply) pending.reject(new Error(reply.error.message));
    else pending.resolve(reply.value);
  }

  #failAll(error: Error): void {
    this.dead = true;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

/** Options of `batchRenderThreads`. */
export interface BatchRenderThreadsOptions {
  /** How many threads (at least 1). */
  threads: number;
  /** The ring the threads sign with (a snapshot is sent to each when it starts). */
  keyRing: KeyRing;
  /** The threads stop after this long without a block (ms; default 60,000): idle memory goes back. */
  idleMs?: number;
}

/**
 * A pool of `threads` render threads, started at the first block (and again after one stops); each
 * block goes to the thread with the fewest outstanding.
 */
export function batchRenderThreads(options: BatchRenderThreadsOptions): BatchRenderer {
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

  return {
    async answer(message, block, firstLine, settings) {
      clearTimeout(idle);
      let serial = serials.get(message);
      if (serial === undefined) serials.set(message, (serial = nextSerial++));
      const thread = await pick();
      const known = thread.sent.has(serial);
      clearTimeout(idle);
      const task = {
        id: nextId++,
        serial,
        source: known ? undefined : message.source,
        block,
        firstLine,
        settings,
      };
      const answer = thread.run(task, message.source);
      answer.then(settled, settled);
      return answer;
    },
    // Two per thread: one working, one queued behind it, so no thread waits for the request's thread.
    depth: count * 2,
    async close() {
      clearTimeout(idle);
      await stop();
    },
  };
}
