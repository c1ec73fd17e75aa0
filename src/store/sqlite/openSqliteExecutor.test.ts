/**
 * @module The SQLite executor's own behaviour: group commit (concurrent transactions share one
 * COMMIT, yet each succeeds or fails alone and settles only once its changes are committed) and
 * the bounded prepared-statement cache.
 */
import Database from 'better-sqlite3';
import { expect, test } from 'vitest';
import { sqliteTestDatabase } from '../../../test/support/databases.js';
import { openSqliteExecutor, preparedStatementCache } from './openSqliteExecutor.js';

/** An executor on a fresh file with one table `t (v TEXT UNIQUE)`, plus a second, raw connection. */
async function openWithTable(context: Parameters<typeof sqliteTestDatabase>[0]) {
  const { sqlitePath } = await sqliteTestDatabase(context);
  const file = sqlitePath ?? '';
  const executor = openSqliteExecutor(file);
  await executor.exec('CREATE TABLE t (v TEXT NOT NULL UNIQUE)');
  const observer = new Database(file, { readonly: true });
  const committed = () =>
    (observer.prepare('SELECT v FROM t ORDER BY v').all() as { v: string }[]).map((row) => row.v);
  const close = async () => {
    observer.close();
    await executor.close();
  };
  return { executor, committed, close };
}

test('concurrent transactions: a failing one is rolled back alone; each resolves once committed', async (context) => {
  const { executor, committed, close } = await openWithTable(context);
  try {
    const insert = (values: string[]) =>
      executor.transaction(async (tx) => {
        for (const v of values) await tx.run('INSERT INTO t (v) VALUES (?)', [v]);
      });
    // What another connection sees at the moment each call resolves: its own rows, committed.
    const visibleWhenResolved = await Promise.allSettled(
      [['a1', 'a2'], ['b1', 'a1'], ['c1']].map((values) => insert(values).then(() => committed())),
    );
    expect(visibleWhenResolved.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(visibleWhenResolved[0]).toMatchObject({ value: expect.arrayContaining(['a1', 'a2']) });
    expect(visibleWhenResolved[2]).toMatchObject({ value: expect.arrayContaining(['c1']) });
    // b1 was written before b's unique violation and rolled back with the rest of b.
    expect(committed()).toEqual(['a1', 'a2', 'c1']);
  } finally {
    await close();
  }
});

test('an error that makes SQLite roll back the whole transaction fails only its own call', async (context) => {
  const { executor, committed, close } = await openWithTable(context);
  try {
    // RAISE(ROLLBACK) ends the whole transaction, including the calls that shared it before.
    await executor.exec(
      `CREATE TRIGGER t_boom BEFORE INSERT ON t WHEN NEW.v = 'boom'
       BEGIN SELECT RAISE(ROLLBACK, 'boom'); END`,
    );
    const insert = (v: string) => executor.transaction((tx) => tx.run('INSERT INTO t (v) VALUES (?)', [v]));
    const outcomes = await Promise.allSettled(['a', 'boom', 'c'].map(insert));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(committed()).toEqual(['a', 'c']);
  } finally {
    await close();
  }
});

test('a transaction alone commits, and its error rolls it back', async (context) => {
  const { executor, committed, close } = await openWithTable(context);
  try {
    await executor.transaction((tx) => tx.run('INSERT INTO t (v) VALUES (?)', ['x']));
    await expect(
      executor.transaction(async (tx) => {
        await tx.run('INSERT INTO t (v) VALUES (?)', ['y']);
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(committed()).toEqual(['x']);
  } finally {
    await close();
  }
});

test('the prepared-statement cache keeps the most recently used statements up to its size', () => {
  const db = new Database(':memory:');
  try {
    const prepare = preparedStatementCache(db, 3);
    const first = prepare('SELECT 1');
    expect(prepare('SELECT 1')).toBe(first);
    prepare('SELECT 2');
    prepare('SELECT 3');
    prepare('SELECT 1'); // used again: now the most recent, so SELECT 2 is evicted next
    prepare('SELECT 4');
    expect(prepare('SELECT 1')).toBe(first);
    const second = prepare('SELECT 2');
    expect(prepare('SELECT 2')).toBe(second);
    prepare('SELECT 5');
    prepare('SELECT 6');
    prepare('SELECT 7');
    expect(prepare('SELECT 1')).not.toBe(first);
  } finally {
    db.close();
  }
});
