/**
 * @module The checkpoint thread of `openStoreThread`: its own connection copies the WAL back into
 * the database file (`wal_checkpoint(PASSIVE)`: never waits for, or blocks, readers and writers)
 * every `everyMs`. A checkpoint copies pages and fsyncs the WAL and the file; done by the commit
 * that crosses SQLite's threshold, it stopped the dispatch thread for that long every few hundred
 * commits under load (measured: 20 % of the dispatch thread's throughput). Here it runs beside it,
 * and a hot page written to the WAL many times between two checkpoints is copied once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { sqlitePath, everyMs } = workerData as { sqlitePath: string; everyMs: number };
const db = new Database(sqlitePath, { timeout: 5_000 });
db.pragma('busy_timeout = 5000');

const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or a transient I/O error: the next tick tries again, and the writers' own threshold
    // (`autoCheckpointPages`) still bounds the WAL.
  }
}, everyMs);

parentPort?.on('message', (message: unknown) => {
  if (message !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
parentPort?.postMessage('ready');
