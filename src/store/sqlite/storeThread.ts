/**
 * @module The worker thread of `openStoreThread`: opens its own connection to the SQLite file and
 * runs the dispatch verbs the main thread posts, answering each with its result or its error.
 * Calls run concurrently here as on the main thread, so group commit still gathers the
 * transactions that arrive together (a claim and the attempt records finishing beside it).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createSqlStore } from '../createSqlStore.js';
import { openSqliteExecutor } from './openSqliteExecutor.js';
import {
  serializeError,
  threadedVerbs,
  type CallMessage,
  type ThreadData,
  type ThreadMessage,
} from './openStoreThread.js';
import { packResult, unpackArgs } from './threadCodec.js';

const port = parentPort;
if (!port) throw new Error('storeThread runs as a worker thread of openStoreThread');

function post(message: ThreadMessage): void {
  try {
    port?.postMessage(message);
  } catch (error) {
    // A result that cannot be cloned is a bug in a verb; the caller still gets an answer.
    if (message.type !== 'result') throw error;
    port?.postMessage({
      type: 'error',
      id: message.id,
      error: serializeError(error),
    } satisfies ThreadMessage);
  }
}

const { sqlitePath } = workerData as ThreadData;
let store: ReturnType<typeof createSqlStore>;
try {
  // The main thread ran the migrations before starting this thread.
  // The checkpoint thread keeps the WAL short; this connection's own threshold is the safety net.
  store = createSqlStore(openSqliteExecutor(sqlitePath, { autoCheckpointPages: 10_000 }));
} catch (error) {
  post({ type: 'failed', error: serializeError(error) });
  process.exit(1);
}
const verbs = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
const known = new Set<string>(threadedVerbs);

port.on('message', (message: CallMessage) => {
  if (message.method === 'close') {
    void store.close().finally(() => {
      post({ type: 'closed' });
      port.close();
    });
    return;
  }
  let result: Promise<unknown>;
  try {
    if (!known.has(message.method)) throw new Error(`the store thread has no verb ${message.method}`);
    result = Promise.resolve(verbs[message.method]?.(...unpackArgs(message.method, message.args)));
  } catch (error) {
    result = Promise.reject(error);
  }
  result
    .then((value) => packResult(message.method, value))
    .then(
      (value) => post({ type: 'result', id: message.id, value }),
      (error: unknown) => post({ type: 'error', id: message.id, error: serializeError(error) }),
    );
});

post({ type: 'ready' });
