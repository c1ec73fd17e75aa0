/**
 * @module `unsub db vacuum`: gives free space back to the file system. SQLite: converts the file to
 * incremental auto-vacuum (files above 64 MB are not converted at start-up, since the rewrite takes
 * a while) and compacts it; PostgreSQL: VACUUM (ANALYZE) of the tables retention and erasure
 * delete from. Run it at a quiet time.
 */
import { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { vacuumDatabase, type StoreOptions, type VacuumReport } from '../store/index.js';

/** Where the command writes, and which database it opens (tests pass their own). */
export interface DbCommandIo {
  stdout: { write(text: string): unknown };
  storeOptions?: () => StoreOptions;
}

const megabytes = (bytes = 0) => `${(bytes / 1_048_576).toFixed(1)} MB`;

/** Builds `unsub db` with its `vacuum` subcommand. */
export function dbCommand(io: DbCommandIo = { stdout: process.stdout }): Command {
  const db = new Command('db').description('database maintenance');
  db.command('vacuum')
    .description('give free space back (SQLite: switch to incremental auto-vacuum; PostgreSQL: VACUUM)')
    .option('--json', 'print the report as JSON')
    .exitOverride()
    .action(async (options: { json?: boolean }) => {
      const storeOptions =
        io.storeOptions?.() ??
        (() => {
          const config = loadConfig();
          return { databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath };
        })();
      const report: VacuumReport = await vacuumDatabase(storeOptions);
      if (options.json) {
        io.stdout.write(`${JSON.stringify(report)}\n`);
      } else if (report.backend === 'sqlite') {
        io.stdout.write(
          `vacuumed: ${megabytes(report.bytesBefore)} → ${megabytes(report.bytesAfter)}; ` +
            'incremental auto-vacuum on (retention now gives pages back by itself)\n',
        );
      } else {
        io.stdout.write(`vacuumed: ${report.tables?.join(', ')}\n`);
      }
    });
  return db;
}
