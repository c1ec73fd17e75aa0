/**
 * @module The small SQL seam under the store's verbs. Each backend (SQLite, PostgreSQL) provides a
 * `SqlExecutor`; the verbs are written once against it. SQL uses `?` placeholders everywhere (the
 * PostgreSQL executor numbers them), so verbs never contain `?` inside string literals.
 */
import type { BackendCapabilities } from './types.js';

/** A value bound to a `?` placeholder. Booleans are stored as 0/1 by the verbs. */
export type SqlValue = string | number | null;

/** A row as the driver returns it, keyed by column name. */
export type SqlRow = Record<string, unknown>;

/** Statements inside (or outside) a transaction. */
export interface SqlSession {
  /** Runs a statement that returns rows (SELECT, or INSERT/UPDATE … RETURNING). */
  all<T extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /**
   * The first row of a statement as its column values in select order, or undefined when it has
   * none: for hot look-ups of one row by key (a link page's contact). SQLite steps once and stops,
   * and no keyed row object is built (better-sqlite3 names every column of every row anew).
   */
  firstValues<T extends readonly unknown[] = unknown[]>(
    sql: string,
    params?: readonly SqlValue[],
  ): Promise<T | undefined>;
  /** Runs a statement and returns the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** A backend: a session for single statements plus transactions. */
export interface SqlExecutor extends SqlSession {
  readonly capabilities: BackendCapabilities;
  /**
   * Runs `fn` in one write transaction: committed when it resolves, rolled back when it throws.
   * The returned promise settles only after the COMMIT that holds `fn`'s changes. Transactions do
   * not nest. SQLite may run concurrent calls inside one database transaction (group commit, each
   * in its own savepoint), and runs `fn` again when another call's error rolled that whole
   * transaction back: so `fn` must have no effects outside `tx` that are unsafe to repeat.
   */
  transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Statements run first in the migration transaction so that two processes starting at once
   * apply migrations one after the other (PostgreSQL: an advisory lock, then the schema).
   */
  readonly migrationPrelude: readonly string[];
  /**
   * When `error` is a unique-constraint violation, the `table.column` it concerns (e.g.
   * `contacts.email_key`); otherwise undefined. Lets verbs map races to domain errors.
   */
  uniqueViolation(error: unknown): string | undefined;
  /**
   * Notifications between processes on this database and schema (PostgreSQL LISTEN/NOTIFY on a
   * connection of its own); absent where the backend has none (SQLite).
   */
  readonly notifications?: { listen(channel: string, listener: () => void): () => void };
  close(): Promise<void>;
}

/** Built placeholder lists by shape: hot verbs ask for the same few shapes on every call. */
const builtPlaceholders = new Map<number, string>();
const builtRows = new Map<string, string>();

/** `(?, ?, ?)` for `count` values (count ≥ 1). */
export function placeholders(count: number): string {
  let built = builtPlaceholders.get(count);
  if (built === undefined) {
    built = `(${Array.from({ length: count }, () => '?').join(', ')})`;
    if (builtPlaceholders.size < 4096) builtPlaceholders.set(count, built);
  }
  return built;
}

/** `(?, ?), (?, ?)` for `rows` rows of `columns` values: a multi-row VALUES list. */
export function rowPlaceholders(rows: number, columns: number): string {
  const key = `${rows}x${columns}`;
  let built = builtRows.get(key);
  if (built === undefined) {
    built = Array.from({ length: rows }, () => placeholders(columns)).join(', ');
    if (builtRows.size < 4096) builtRows.set(key, built);
  }
  return built;
}

/**
 * Memoizes SQL text by shape (e.g. rows per INSERT): a hot verb then passes the same string object
 * every call, which the statement cache finds without building or hashing a new long string.
 */
export function sqlShapes<K extends string | number>(build: (shape: K) => string): (shape: K) => string {
  const built = new Map<K, string>();
  return (shape) => {
    let sql = built.get(shape);
    if (sql === undefined) {
      sql = build(shape);
      if (built.size < 4096) built.set(shape, sql);
    }
    return sql;
  };
}
