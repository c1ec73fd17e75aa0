/**
 * @module `unsub db vacuum` on every available backend, and the SQLite conversion rule: a small
 * file is switched to incremental auto-vacuum when opened, a large one only by the command.
 */
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { sqliteTestDatabase, testBackends } from '../../test/support/databases.js';
import { ensureIncrementalVacuum } from '../store/sqlite/openSqliteExecutor.js';
import { dbCommand } from './dbCommand.js';

const backends = await testBackends('the db vacuum suite');

/** An SQLite file as an older unsub made it: auto_vacuum NONE, some rows, some free pages. */
function legacyFile(file: string): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE filler (text TEXT)');
  const insert = db.prepare('INSERT INTO filler VALUES (?)');
  for (let n = 0; n < 2_000; n += 1) insert.run('x'.repeat(500));
  db.exec('DELETE FROM filler WHERE rowid % 2 = 0');
  db.close();
}

const autoVacuum = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return Number(db.pragma('auto_vacuum', { simple: true }));
  } finally {
    db.close();
  }
};

test('a file above the limit is not converted at open; one within it is', async (context) => {
  const { sqlitePath } = await sqliteTestDatabase(context);
  legacyFile(sqlitePath as string);
  const db = new Database(sqlitePath as string);
  expect(ensureIncrementalVacuum(db, 1_000)).toBe(false);
  expect(Number(db.pragma('auto_vacuum', { simple: true }))).not.toBe(2);
  expect(ensureIncrementalVacuum(db)).toBe(true);
  db.close();
  expect(autoVacuum(sqlitePath as string)).toBe(2);
});

describe.each(backends)('unsub db vacuum on $name', ({ name, makeDatabase }) => {
  test('vacuums and reports', async (context) => {
    const options = await makeDatabase(context);
    if (options.sqlitePath) legacyFile(options.sqlitePath);
    let out = '';
    await dbCommand({
      stdout: { write: (text: string) => (out += text) },
      storeOptions: () => options,
    }).parseAsync(['vacuum', '--json'], { from: 'user' });
    const report = JSON.parse(out) as { backend: string; incremental?: boolean; tables?: string[] };
    expect(report.backend).toBe(name);
    if (options.sqlitePath) {
      expect(report.incremental).toBe(true);
      expect(autoVacuum(options.sqlitePath)).toBe(2);
    } else {
      expect(report.tables).toEqual(
        expect.arrayContaining([
          'attempts',
          'membership_changes',
          'sms_replies',
          'erasure_scrubs',
          'audit_log',
        ]),
      );
    }
  });
});
