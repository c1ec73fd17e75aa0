/**
 * @module Runs `unsub render`'s batch work on several threads, or on this one: `check` and `render`
 * of one batch each return a promise, and `inOrder` consumes results in the order the batches were
 * read while a bounded number of batches are in flight (so output order holds and memory stays flat
 * whatever the batch size).
 */
import type { Worker } from 'node:worker_threads';
import { startSiblingWorker } from '../threads/index.js';
import type { RenderOptions, TemplateSpec } from '../template/index.js';
import { TemplateError, type TemplateErrorCode } from '../template/index.js';
import { checkBatch, type BatchCheck, type RecipientBatch } from './recipientBatches.js';
import {
  recycleBatchBuffer,
  renderRecipientBatch,
  type BatchRenderer,
  type RenderedBatch,
} from './renderRecipientBatch.js';

/** What a render thread starts from (plain data: it crosses by structured clone). */
export interface RenderThreadData {
  /** The template as the main thread compiled it: the thread builds it without the grammar. */
  spec: TemplateSpec;
  keysFile: string;
  maxAgeDays: number | undefined;
  base: Omit<RenderOptions, 'keyRing'>;
  out: string | undefined;
  format: 'html' | 'json';
}

/** A task for a render thread, or a written batch's buffer coming back to it (no answer). */
export type RenderThreadTask =
  { id: number; kind: 'check' | 'render'; batch: RecipientBatch } | { kind: 'recycle'; buffer: ArrayBuffer };

/** A render thread's answer to one task. */
export type RenderThreadReply =
  | { id: number; value: BatchCheck | RenderedBatch }
  | { id: number; error: { message: string; code: string | undefined } };

/** Checks and renders batches. */
export interface BatchRunner {
  check(batch: RecipientBatch): Promise<BatchCheck>;
  render(batch: RecipientBatch): Promise<RenderedBatch>;
  /** Batches worth keeping in flight. */
  readonly depth: number;
  close(): Promise<void>;
}

/** Runs the work on this thread (small batches, or `--threads 1`). */
export function localRunner(renderer: BatchRenderer): BatchRunner {
  return {
    check: async (batch) => checkBatch(batch),
    render: async (batch) => {
      const rendered = renderRecipientBatch(renderer, batch);
      const buffer = rendered.bytes?.buffer as ArrayBuffer | undefined;
      if (buffer !== undefined) rendered.release = () => recycleBatchBuffer(buffer);
      return rendered;
    },
    depth: 1,
    close: async () => {},
  };
}

/** A render thread on `renderThread` (compiled, or from source under tsx or vitest). */
function startWorker(data: RenderThreadData): Worker {
  // A larger young generation: a batch makes megabytes of short-lived strings, and with the default
  // the thread spent a tenth of its time in scavenges.
  return startSiblingWorker(import.meta.url, 'renderThread', {
    workerData: data,
    resourceLimits: { maxYoungGenerationSizeMb: 64 },
  });
}

interface Pending {
  resolve(value: never): void;
  reject(error: Error): void;
}

/** One render thread with its outstanding tasks. */
class RenderThread {
  readonly pending = new Map<number, Pending>();
  readonly ready: Promise<void>;
  readonly #worker: Worker;

  constructor(data: RenderThreadData) {
    this.#worker = startWorker(data);
    this.ready = new Promise((resolve, reject) => {
      this.#worker.once('error', reject);
      this.#worker.once('message', () => resolve());
    });
    this.ready.then(
      () => this.#worker.on('message', (reply: RenderThreadReply) => this.#settle(reply)),
      () => {},
    );
    this.#worker.on('error', (error) => this.#failAll(error));
    this.#worker.on('exit', () => this.#failAll(new Error('a render thread stopped')));
  }

  run<T>(task: Extract<RenderThreadTask, { id: number }>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.set(task.id, { resolve: resolve as (value: never) => void, reject });
      // Raw lines move to the thread (the reader made them a copy of their own).
      this.#worker.postMessage(
        task,
        task.batch.kind === 'lines' ? [task.batch.bytes.buffer as ArrayBuffer] : [],
      );
    });
  }

  async close(): Promise<void> {
    this.#worker.removeAllListeners('exit');
    await this.#worker.terminate();
  }

  #settle(reply: RenderThreadReply): void {
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    if ('error' in reply) {
      const { message, code } = reply.error;
      // A render failure is the template part's error (as it is on one thread); anything else is a bug.
      pending.reject(
        code === undefined ? new Error(message) : new TemplateError(code as TemplateErrorCode, message),
      );
    } else {
      const buffer = (reply.value as RenderedBatch).bytes?.buffer as ArrayBuffer | undefined;
      if (buffer !== undefined) {
        (reply.value as RenderedBatch).release = () => {
          const task: RenderThreadTask = { kind: 'recycle', buffer };
          this.#worker.postMessage(task, [buffer]);
        };
      }
      pending.resolve(reply.value as never);
    }
  }

  #failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

/** Starts `count` render threads; each task goes to the thread with the fewest outstanding. */
export async function startRenderThreads(count: number, data: RenderThreadData): Promise<BatchRunner> {
  const threads = Array.from({ length: count }, () => new RenderThread(data));
  try {
    await Promise.all(threads.map((thread) => thread.ready));
  } catch (error) {
    await Promise.all(threads.map((thread) => thread.close()));
    throw error;
  }
  let nextId = 0;
  const run = <T>(kind: 'check' | 'render', batch: RecipientBatch): Promise<T> => {
    let best = threads[0]!;
    for (const thread of threads) if (thread.pending.size < best.pending.size) best = thread;
    return best.run<T>({ id: nextId++, kind, batch });
  };
  return {
    check: (batch) => run<BatchCheck>('check', batch),
    render: (batch) => run<RenderedBatch>('render', batch),
    // Two per thread: one working, one queued behind it, so no thread waits for the main thread.
    depth: count * 2,
    close: async () => {
      await Promise.all(threads.map((thread) => thread.close()));
    },
  };
}

/**
 * Sends every batch to `work`, keeping at most `depth` in flight, and hands the results to
 * `consume` in the batches' order.
 */
export async function inOrder<B, T>(
  batches: AsyncIterable<B>,
  depth: number,
  work: (batch: B) => Promise<T>,
  consume: (result: T) => void | Promise<void>,
): Promise<void> {
  const queue: Promise<T>[] = [];
  for await (const batch of batches) {
    const result = work(batch);
    result.catch(() => {}); // awaited in turn below; a failure must not count as unhandled meanwhile
    queue.push(result);
    if (queue.length >= depth) await consume(await queue.shift()!);
  }
  while (queue.length > 0) await consume(await queue.shift()!);
}
