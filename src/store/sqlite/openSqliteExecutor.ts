/**
 * @module The SQLite backend of the store: better-sqlite3 on one file in WAL mode.
 *
 * better-sqlite3 is synchronous and holds one connection, while the store's verbs are async. A
 * transaction that awaits between statements would let another caller's statements run on the same
 * connection inside it, so every use of the connection (single statements and whole transactions)
 * goes through one in-process queue. Across processes, `BEGIN IMMEDIATE` takes SQLite's write lock
 * at the start (not at the first write), so two writers never deadlock upgrading read locks, and
 * `busy_timeout` makes the second one wait instead of failing with SQLITE_BUSY.
 *
 * Concurrent transactions share one commit (group commit, see `openConnection`): one-click
 * unsubscribes arrive many at a time, and a commit costs more than the few statements of each.
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
  noIndexPrefix: '+',
  // Several processes may open the file, but writers take turns; meant for one `unsub serve`.
  multiProcess: false,
  singleStatementDispatch: false,
  maxParameters: 32_766,
};

/** How long a writer waits for another process's write lock before SQLITE_BUSY. */
const busyTimeoutMs = 5_000;

/**
 * Prepared statements kept per connection. Bounded: verbs build SQL with one placeholder per id
 * (`IN (?, ?, …)`, multi-row INSERTs), so the number of distinct texts grows with the sizes seen,
 * and an unbounded cache would hold every one for the life of the process.
 */
const statementCacheSize = 500;

/**
 * `prepare` through a least-recently-used cache of `size` statements (a Map iterates in insertion
 * order: a hit is moved to the end, and the first entry is the one to evict). An evicted statement
 * is simply dropped; better-sqlite3 finalizes it when it is garbage-collected. `setUp` runs once on
 * each newly prepared statement (e.g. raw mode).
 */
export function preparedStatementCache(
  db: Database.Database,
  size: number,
  setUp?: (statement: Database.Statement) => void,
): (sql: string) => Database.Statement {
  const statements = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = statements.get(sql);
    if (statement) {
      statements.delete(sql);
    } else {
      statement = db.prepare(sql);
      setUp?.(statement);
      if (statements.size >= size) statements.delete(statements.keys().next().value as string);
    }
    statements.set(sql, statement);
    return statement;
  };
}

/**
 * Most transactions one commit holds. Bounds how long the write lock is held (other processes
 * wait for it) and how much one slow batch delays the requests in it.
 */
const maxBatchSize = 64;

/** A `transaction` call waiting for its batch. */
interface WaitingTransaction {
  fn: (tx: SqlSession) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Serialises async work on the one connection (FIFO). */
class ConnectionQueue {
  private tail: Promise<unknown> = Promise.resolve();
  /** Tasks queued or running. */
  private active = 0;
  private readonly settled = () => {
    this.active -= 1;
  };

  run<T>(task: () => Promise<T>): Promise<T> {
    this.active += 1;
    const result = this.tail.then(task, task);
    // The queue continues whatever the outcome; the caller sees the outcome.
    this.tail = result.then(this.settled, this.settled);
    return result;
  }

  /**
   * Runs a synchronous `task` at once when nothing is queued or running (it would run next
   * anyway, and the hot single-statement reads skip two promise hops), else queues it.
   */
  runSync<T>(task: () => T): Promise<T> {
    if (this.active > 0) return this.run(async () => task());
    try {
      return Promise.resolve(task());
    } catch (error) {
      return Promise.reject(error);
    }
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
export function openSqliteExecutor(file: string, options: ConnectionOptions = {}): SqlExecutor {
  if (file === ':memory:') return openConnection(file, options);
  const key = path.resolve(file);
  let entry = openFiles.get(key);
  if (!entry) {
    entry = { executor: openConnection(key, options), users: 0 };
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

/** Options of a connection (the first opener of a file in a thread decides). */
export interface ConnectionOptions {
  /**
   * WAL pages after which a commit of this connection checkpoints (SQLite's default 1,000). The
   * dispatch thread raises it: a checkpoint thread keeps the WAL short, so that its commits do not
   * stop for a checkpoint's copying and fsyncs; this is the safety net should that thread fall behind.
   */
  autoCheckpointPages?: number;
}

/**
 * Files at most this large are converted to `auto_vacuum=INCREMENTAL` when opened (a VACUUM
 * rewrites the whole file, which takes a moment for a few MB); larger ones wait for
 * `unsub db vacuum`, run when the operator chooses.
 */
export const autoVacuumConvertBytes = 64 * 1024 * 1024;

/** SQLite's `auto_vacuum` value for INCREMENTAL. */
const incrementalAutoVacuum = 2;

/**
 * Makes `db` reclaim freed pages on `PRAGMA incremental_vacuum` (retention prunes, then gives the
 * pages back so the file stops growing). A new file is simply set before its first table; an
 * existing one needs a VACUUM, done here only when `maxBytes` allows (default: small files).
 * Returns whether the file now runs with incremental auto-vacuum.
 */
export function ensureIncrementalVacuum(
  db: Database.Database,
  maxBytes: number = autoVacuumConvertBytes,
): boolean {
  if (Number(db.pragma('auto_vacuum', { simple: true })) === incrementalAutoVacuum) return true;
  const tables = Number(db.prepare('SELECT COUNT(*) AS n FROM sqlite_master').pluck().get());
  db.pragma('auto_vacuum = INCREMENTAL');
  if (tables === 0) return true;
  const bytes =
    Number(db.pragma('page_count', { simple: true })) * Number(db.pragma('page_size', { simple: true }));
  if (bytes > maxBytes) return false;
  try {
    db.exec('VACUUM');
  } catch {
    // Another process holds the file (VACUUM needs it alone): the next start tries again.
    return false;
  }
  return Number(db.pragma('auto_vacuum', { simple: true })) === incrementalAutoVacuum;
}

/**
 * Opens one connection to `file`.
 * Pragmas: WAL so readers never block the writer; `synchronous=NORMAL`, which in WAL mode only
 * risks the last transactions on power loss (never corruption) and avoids an fsync per commit;
 * foreign keys on (SQLite defaults them off); `secure_delete` so that deleted rows (an erased
 * contact, pruned history) are overwritten with zeros instead of lingering in free pages;
 * incremental auto-vacuum (see `ensureIncrementalVacuum`).
 */
function openConnection(file: string, options: ConnectionOptions): SqlExecutor {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file, { timeout: busyTimeoutMs });
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  db.pragma('secure_delete = ON');
  // Before WAL: a new file takes the setting with its first table, an old small one is rewritten.
  if (file !== ':memory:') ensureIncrementalVacuum(db);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  if (options.autoCheckpointPages !== undefined)
    db.pragma(`wal_autocheckpoint = ${Math.max(0, Math.floor(options.autoCheckpointPages))}`);

  const prepare = preparedStatementCache(db, statementCacheSize);
  // Statements that return their rows as arrays of values (`firstValues`): a cache of their own,
  // since raw mode is a setting of the statement and `all` must keep getting keyed rows.
  const prepareRaw = preparedStatementCache(db, statementCacheSize, (statement) => statement.raw(true));
  // Prepared once: `db.exec` would parse these again for every transaction.
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');

  // The raw session: runs at once; only ever called while the queue is held. Parameters go to the
  // driver as one array (it binds an array like its elements; no spread of long id lists).
  const direct: SqlSession = {
    async all<T extends SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      return prepare(sql).all(params) as T[];
    },
    async firstValues<T extends readonly unknown[]>(
      sql: string,
      params: readonly SqlValue[] = [],
    ): Promise<T | undefined> {
      return prepareRaw(sql).get(params) as T | undefined;
    },
    async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
      return prepare(sql).run(params).changes;
    },
    async exec(sql: string): Promise<void> {
      db.exec(sql);
    },
  };

  const queue = new ConnectionQueue();
  let closed = false;

  // Group commit: transactions asked for while the connection is busy, or in the same turn of the
  // event loop, share one BEGIN … COMMIT. A commit is most of a small transaction's cost (it writes
  // every changed page to the WAL and takes and drops the file locks), so concurrent one-click
  // unsubscribes each pay a fraction of one. Each call runs in its own SAVEPOINT, so a call that
  // throws is rolled back alone; every call settles only after the COMMIT that holds its changes.
  const waiting: WaitingTransaction[] = [];
  let batchScheduled = false;
  const savepoint = db.prepare('SAVEPOINT unsub_call');
  const release = db.prepare('RELEASE unsub_call');
  const rollbackToSavepoint = db.prepare('ROLLBACK TO unsub_call');

  /** Holds the queue: collects what arrives this turn, then commits up to `maxBatchSize` together. */
  const runBatch = async (): Promise<void> => {
    // One turn of the event loop: requests whose bodies were read in the same poll phase join in.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const batch = waiting.splice(0, maxBatchSize);
    batchScheduled = waiting.length > 0;
    if (batchScheduled) void queue.run(runBatch);
    try {
      for (let todo = batch; todo.length > 0;) todo = await commitTogether(todo);
    } catch (error) {
      // Only a failing BEGIN/SAVEPOINT bookkeeping statement gets here. Settling twice is a no-op,
      // so every call still waiting fails with it, and the queue goes on.
      if (db.open && db.inTransaction) rollback.run();
      for (const call of batch) call.reject(error);
    }
  };

  /**
   * Runs `batch` in one transaction and settles each call. Returns the calls to run again: when a
   * call's error made SQLite roll back the whole transaction (it does for some errors, e.g.
   * SQLITE_FULL), the calls before it lost their changes and go again in a fresh transaction.
   */
  const commitTogether = async (batch: WaitingTransaction[]): Promise<WaitingTransaction[]> => {
    try {
      begin.run();
    } catch (error) {
      for (const call of batch) call.reject(error);
      return [];
    }
    // A call alone needs no savepoint: its failure rolls back the whole transaction.
    const shared = batch.length > 1;
    const done: { call: WaitingTransaction; value: unknown }[] = [];
    for (const [index, call] of batch.entries()) {
      try {
        if (shared) savepoint.run();
        const value = await call.fn(direct);
        if (shared) release.run();
        done.push({ call, value });
      } catch (error) {
        call.reject(error);
        if (!db.inTransaction) return [...done.map((entry) => entry.call), ...batch.slice(index + 1)];
        if (!shared) {
          rollback.run();
          return [];
        }
        rollbackToSavepoint.run();
        release.run();
      }
    }
    try {
      commit.run();
    } catch (error) {
      if (db.inTransaction) rollback.run();
      for (const { call } of done) call.reject(error);
      return [];
    }
    for (const { call, value } of done) call.resolve(value);
    return [];
  };

  return {
    capabilities: sqliteCapabilities,
    migrationPrelude: [],
    all: <T extends SqlRow>(sql: string, params: readonly SqlValue[] = []) =>
      queue.runSync(() => prepare(sql).all(params) as T[]),
    firstValues: <T extends readonly unknown[]>(sql: string, params: readonly SqlValue[] = []) =>
      queue.runSync(() => prepareRaw(sql).get(params) as T | undefined),
    run: (sql, params = []) => queue.runSync(() => prepare(sql).run(params).changes),
    exec: (sql) => queue.run(() => direct.exec(sql)),
    transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        waiting.push({ fn, resolve: resolve as (value: unknown) => void, reject });
        if (!batchScheduled) {
          batchScheduled = true;
          void queue.run(runBatch);
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
