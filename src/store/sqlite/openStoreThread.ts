/**
 * @module The webhook dispatcher's SQLite work on its own thread. better-sqlite3 is synchronous: on
 * the main thread every statement stops the event loop, so a busy dispatcher gets one core for its
 * POSTs and its database work together. Here a worker thread opens its own connection to the same
 * file and runs the dispatch verbs (`threadedVerbs`: fan-out, claims, attempt records); the main
 * thread posts a message per call and keeps serving the network while the database works on the
 * second core.
 *
 * Only verbs whose arguments are plain data cross (structured clone: objects, arrays, Maps; the
 * hot batches in the compact form of `threadCodec`); the verbs that take event builders (functions
 * run inside their transaction) stay on the main thread's connection. Two connections in two
 * threads take turns for SQLite's write lock (`busy_timeout`), which is not the deadlock two
 * connections in ONE thread would be. A thrown `StoreError` arrives as a `StoreError` with its code
 * and field, any other error as an `Error` with its message and code. If the thread dies, its calls
 * fail with `unavailable` (nothing is half-done: each verb is one transaction there) and the next
 * call starts a new one. Beside it, a checkpoint thread (`checkpointThread.ts`) keeps the WAL short.
 *
 * Like `openSqliteExecutor`, the stores of one process on one file share one thread.
 */
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startSiblingWorker } from '../../threads/index.js';
import { StoreError, type StoreErrorCode } from '../storeError.js';
import type { Store } from '../types.js';
import { packArgs, unpackResult } from './threadCodec.js';

/** A verb call, main → thread. */
export interface CallMessage {
  id: number;
  method: string;
  args: unknown[];
}

/** An error as it crosses the thread. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  field?: string;
  /** True for a `StoreError`. */
  store: boolean;
}

/** Thread → main. */
export type ThreadMessage =
  | { type: 'ready' }
  | { type: 'failed'; error: SerializedError }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: SerializedError }
  | { type: 'closed' };

/** What the thread is started with. */
export interface ThreadData {
  sqlitePath: string;
}

/** An error made fit to cross the thread. */
export function serializeError(error: unknown): SerializedError {
  const value = error as { name?: unknown; message?: unknown; code?: unknown; field?: unknown };
  return {
    name: typeof value?.name === 'string' ? value.name : 'Error',
    message: typeof value?.message === 'string' ? value.message : String(error),
    ...(typeof value?.code === 'string' ? { code: value.code } : {}),
    ...(typeof value?.field === 'string' ? { field: value.field } : {}),
    store: error instanceof StoreError,
  };
}

/** The error again, on this side of the thread. */
export function deserializeError(error: SerializedError): Error {
  if (error.store) {
    return new StoreError(
      error.code as StoreErrorCode,
      error.message,
      error.field === undefined ? {} : { field: error.field },
    );
  }
  const rebuilt = new Error(error.message) as Error & { code?: string };
  rebuilt.name = error.name;
  if (error.code !== undefined) rebuilt.code = error.code;
  return rebuilt;
}

/** A worker on `name` beside this module (compiled, or from source under tsx or vitest). */
function startWorker(name: string, data: unknown): Worker {
  return startSiblingWorker(import.meta.url, name, { workerData: data });
}

/** Starts the store thread's worker. */
export function startThread(data: ThreadData): Worker {
  return startWorker('storeThread', data);
}

/** How often the checkpoint thread copies the WAL into the database file. */
const checkpointEveryMs = 100;

/**
 * Starts the checkpoint thread of a file (see `checkpointThread.ts`). It never keeps the process
 * alive, and its failure only leaves checkpoints to the writers' own threshold.
 */
function startCheckpointer(file: string): { close(): Promise<void> } {
  const worker = startWorker('checkpointThread', { sqlitePath: file, everyMs: checkpointEveryMs });
  worker.unref();
  let exited = false;
  const done = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  worker.on('error', () => undefined);
  return {
    async close() {
      if (exited) return;
      worker.postMessage('close');
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      if (!exited) await worker.terminate();
    },
  };
}

interface PendingCall {
  method: string;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** The verbs that run on the thread: the dispatcher's hot path, plain data in and out. */
export const threadedVerbs = [
  'fanOutPending',
  'claimDeliveries',
  'completeAttempts',
  'releaseDeliveries',
] as const;

/** The thread's verbs, plus `close` to stop it. */
export type StoreThread = Pick<Store, (typeof threadedVerbs)[number]> & { close(): Promise<void> };

/** Starts the worker of a thread (tests wrap it to reach the worker). */
export type StartThread = (data: ThreadData) => Worker;

/** A running thread: its verbs, `close`, and whether it stopped on its own. */
type RunningThread = StoreThread & { stopped(): boolean };

/** Opens one thread on `file` and resolves once it has opened the database and answers. */
async function openThread(file: string, start: StartThread): Promise<RunningThread> {
  const worker = start({ sqlitePath: file });
  const pending = new Map<number, PendingCall>();
  let nextId = 0;
  let stopped: Error | undefined;
  let closing: Promise<void> | undefined;

  // The thread keeps the process alive only while a call waits for it, like a socket would.
  worker.unref();
  const settle = (id: number) => {
    pending.delete(id);
    if (pending.size === 0) worker.unref();
  };

  const stop = (error: Error) => {
    stopped ??= error;
    for (const [id, call] of pending) {
      settle(id);
      call.reject(stopped);
    }
  };

  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (message: ThreadMessage) => {
      switch (message.type) {
        case 'ready':
          resolve();
          return;
        case 'failed':
          reject(deserializeError(message.error));
          return;
        case 'result': {
          const call = pending.get(message.id);
          settle(message.id);
          if (!call) return;
          try {
            call.resolve(unpackResult(call.method, message.value));
          } catch (error) {
            call.reject(error);
          }
          return;
        }
        case 'error': {
          const call = pending.get(message.id);
          settle(message.id);
          call?.reject(deserializeError(message.error));
          return;
        }
        case 'closed':
          return;
      }
    });
    worker.on('error', (error) => {
      const failure = new StoreError('unavailable', `the SQLite thread failed: ${error.message}`, {
        cause: error,
      });
      reject(failure);
      stop(failure);
    });
    worker.on('exit', (code) => {
      const failure = new StoreError('unavailable', `the SQLite thread stopped (exit code ${code})`);
      reject(failure);
      stop(failure);
    });
  });
  worker.ref(); // until it is ready
  try {
    await ready;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  worker.unref();

  function call(method: string, args: unknown[]): Promise<unknown> {
    if (stopped) return Promise.reject(stopped);
    const id = ++nextId;
    return new Promise((resolve, reject) => {
      if (pending.size === 0) worker.ref();
      pending.set(id, { method, resolve, reject });
      try {
        worker.postMessage({ id, method, args: packArgs(method, args) } satisfies CallMessage);
      } catch (error) {
        settle(id);
        reject(
          new StoreError(
            'invalid_input',
            `cannot pass the arguments of ${method}: ${(error as Error).message}`,
          ),
        );
      }
    });
  }

  const thread: Record<string, unknown> = { stopped: () => stopped !== undefined && closing === undefined };
  for (const method of threadedVerbs) thread[method] = (...args: unknown[]) => call(method, args);
  thread.close = () => {
    closing ??= (async () => {
      if (stopped) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.ref();
      worker.postMessage({ id: 0, method: 'close', args: [] } satisfies CallMessage);
      await exited;
    })();
    return closing;
  };
  return thread as unknown as RunningThread;
}

/** One thread per database file in this process, with how many stores use it. */
const openThreads = new Map<
  string,
  { thread: Promise<RunningThread>; checkpointer: { close(): Promise<void> }; users: number }
>();

/**
 * Starts (or shares) the thread of the SQLite database at `file`, whose migrations must have run.
 * Rejects with the thread's `StoreError` if it cannot open the database. Each returned handle's
 * `close` releases one use; the last one stops the thread.
 *
 * A thread that stops on its own (a crash) fails the calls it had with `unavailable`, and the next
 * call starts a new one: what it was doing is in the database or under an expiring lease, so the
 * dispatcher's retries carry on rather than a dead thread leaving webhooks undelivered until a
 * restart.
 */
export async function openStoreThread(file: string, start: StartThread = startThread): Promise<StoreThread> {
  const key = path.resolve(file);
  let entry = openThreads.get(key);
  if (!entry) {
    const created = { thread: openThread(key, start), checkpointer: startCheckpointer(key), users: 0 };
    entry = created;
    openThreads.set(key, created);
    created.thread.catch(() => {
      if (openThreads.get(key) === created) openThreads.delete(key);
      void created.checkpointer.close();
    });
  }
  entry.users += 1;
  const shared = entry;
  try {
    await shared.thread;
  } catch (error) {
    shared.users -= 1;
    throw error;
  }
  /** The live thread: a new one when the last stopped on its own. */
  const current = async (): Promise<RunningThread> => {
    const thread = await shared.thread;
    if (!thread.stopped()) return thread;
    const restarted = openThread(key, start);
    shared.thread = restarted;
    // A failed restart is tried again at the next call.
    restarted.catch(() => {
      if (shared.thread === restarted) shared.thread = Promise.resolve(thread);
    });
    return restarted;
  };
  let released = false;
  const handle: Record<string, unknown> = {
    async close() {
      if (released) return;
      released = true;
      shared.users -= 1;
      if (shared.users === 0) {
        if (openThreads.get(key) === shared) openThreads.delete(key);
        await (await shared.thread.catch(() => undefined))?.close();
        await shared.checkpointer.close();
      }
    },
  };
  for (const method of threadedVerbs) {
    handle[method] = async (...args: unknown[]) => {
      if (released) throw new StoreError('unavailable', 'the store is closed');
      const thread = (await current()) as unknown as Record<
        string,
        (...values: unknown[]) => Promise<unknown>
      >;
      return thread[method]?.(...args);
    };
  }
  return handle as unknown as StoreThread;
}
