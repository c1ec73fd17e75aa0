/**
 * @module The SQLite backend of the store: better-sqlite3 on one file in WAL mode.
 *
 * better-sqlite3 is synchronous and holds one connection, while the store's verbs are async. A
 * transaction that awaits between statements would let another caller's statements run on the same
 * connection inside it, so every use of the connection (single statements and whole transactions)
 * goes through one in-process queue. Across processes, `BEGIN IMMEDIATE` takes SQLite's write lock
 * at the start (not at the first write), so two writers never deadlock upgrading read locks, and
 * `busy_timeout` makes the second one wait instead of failing with SQLITE_BUSY.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { BackendCapabilities } from '../types.js';
import type { SqlExecutor, SqlRow, SqlSession, SqlValue } from '../sqlExecutor.js';

/** SQLite's capabilities; see `BackendCapabilities` for what each flag means. */
export const sqliteCapabilities: BackendCapabilities = {
  name: 'sqlite',
  // No row locks: BEGIN IMMEDIATE already serialises writers on the whole database.
  lockRowsSuffix: '',
  skipLockedSuffix: '',
  // Several processes may open the file, but writers take turns; meant for one `unsub serve`.
  multiProcess: false,
  maxParameters: 32_766,
};

/** How long a writer waits for another process's write lock before SQLITE_BUSY. */
const busyTimeoutMs = 5_000;

/** Serialises async work on the one connection (FIFO). */
class ConnectionQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    // The queue continues whatever the outcome; the caller sees the outcome.
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** One shared connection per database file in this process, with how many stores use it. */
const openFiles = new Map<string, { executor: SqlExecutor; users: number }>();

/**
 * Opens (creating when missing, with its directory) the SQLite database at `file`. Stores opened
 * on the same file in one process share one connection and its queue: two connections in one
 * process would deadlock, the second blocking the thread in `busy_timeout` while the first waits
 * for that same thread to finish its transaction. Each returned executor's `close` releases one use.
 */
export function openSqliteExecutor(file: string): SqlExecutor {
  if (file === ':memory:') return openConnection(file);
  const key = path.resolve(file);
  let entry = openFiles.get(key);
  if (!entry) {
    entry = { executor: openConnection(key), users: 0 };
    openFiles.set(key, entry);
  }
  entry.users += 1;
  const shared = entry;
  let released = false;
  return {
    ...shared.executor,
    async close() {
      if (released) return;
      released = true;
      shared.users -= 1;
      if (shared.users === 0) {
        openFiles.delete(key);
        await shared.executor.close();
      }
    },
  };
}

/**
 * Opens one connection to `file`.
 * Pragmas: WAL so readers never block the writer; `synchronous=NORMAL`, which in WAL mode only
 * risks the last transactions on power loss (never corruption) and avoids an fsync per commit;
 * foreign keys on (SQLite defaults them off).
 */
function openConnection(file: string): SqlExecutor {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file, { timeout: busyTimeoutMs });
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');

  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };

  // The raw session: runs at once; only ever called while the queue is held.
  const direct: SqlSession = {
    async all<T extends SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      return prepare(sql).all(...params) as T[];
    },
    async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
      return prepare(sql).run(...params).changes;
    },
    async exec(sql: string): Promise<void> {
      db.exec(sql);
    },
  };

  const queue = new ConnectionQueue();
  let closed = false;

  return {
    capabilities: sqliteCapabilities,
    migrationPrelude: [],
    all: (sql, params) => queue.run(() => direct.all(sql, params)),
    run: (sql, params) => queue.run(() => direct.run(sql, params)),
    exec: (sql) => queue.run(() => direct.exec(sql)),
    transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T> {
      return queue.run(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const value = await fn(direct);
          db.exec('COMMIT');
          return value;
        } catch (error) {
          // A failed statement may already have ended the transaction (SQLite does on some errors).
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        }
      });
    },
    uniqueViolation(error: unknown): string | undefined {
      if (!(error instanceof Database.SqliteError)) return undefined;
      if (error.code !== 'SQLITE_CONSTRAINT_UNIQUE' && error.code !== 'SQLITE_CONSTRAINT_PRIMARYKEY')
        return undefined;
      // "UNIQUE constraint failed: contacts.email_key" — the driver's documented message format.
      return /failed: ([\w.]+)/.exec(error.message)?.[1];
    },
    close: () =>
      queue.run(async () => {
        if (closed) return;
        closed = true;
        db.close();
      }),
  };
}
