/**
 * @module `unsub contacts import FILE`: imports contacts from CSV (header row) or NDJSON, chosen by
 * extension. Every row is validated first; on any problem it prints `FILE:LINE field message` per
 * problem and imports nothing (exit 1). Otherwise all rows go in one transaction, with a progress
 * bar on stderr when that is a terminal. Existing e-mails are merged (see the store's
 * `importContacts`: given fields overwrite, extra fields merge, earlier unsubscribes stand).
 */
import fs from 'node:fs/promises';
import { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { UnsubError } from '../errors/index.js';
import { openStore, type Store } from '../store/index.js';
import { createSubscriptions, importFormatOf } from '../subscriptions/index.js';

/** Where the command reads its store and writes its output (tests pass their own). */
export interface ContactsCommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  /** Opens the store; default from `loadConfig()` (`UNSUB_DATABASE_URL` / the SQLite file). */
  openStore?: () => Promise<Store>;
}

/** Why an import did not run. */
export class ContactImportError extends UnsubError<'import_invalid' | 'import_unreadable'> {}

/** A one-line progress bar, redrawn in place: `[#######.......]  512/1000`. */
function progressBar(stderr: ContactsCommandIo['stderr']): (done: number, total: number) => void {
  const width = 30;
  let last = -1;
  return (done, total) => {
    const filled = Math.round((done / total) * width);
    // Redraw only when the bar moves (or at the end), not once per row.
    if (filled === last && done !== total) return;
    last = filled;
    stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    if (done === total) stderr.write('\n');
  };
}

/** The default store: from the environment's configuration. */
async function storeFromConfig(): Promise<Store> {
  const config = loadConfig();
  return openStore({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath });
}

/** Builds `unsub contacts` with its `import` subcommand. */
export function contactsCommand(
  io: ContactsCommandIo = { stdout: process.stdout, stderr: process.stderr },
): Command {
  const contacts = new Command('contacts').description('manage contacts');
  contacts
    .command('import')
    .description(
      'import contacts from a CSV (header row) or NDJSON file; nothing is imported if any row is bad',
    )
    .argument('<file>', 'a .csv, .ndjson or .jsonl file')
    .addHelpText(
      'after',
      '\nColumns: email (required), phone, first_name, last_name, groups (system names separated by ";"\n' +
        'or a JSON array); any other column becomes an extra field. Existing e-mails are merged:\n' +
        'given fields overwrite, extra fields merge, and an earlier unsubscribe is never undone.',
    )
    .action(async (file: string) => {
      const format = importFormatOf(file);
      if (!format) {
        throw new ContactImportError('import_unreadable', `${file}: use a .csv, .ndjson or .jsonl file`, {
          field: 'file',
        });
      }
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch (error) {
        throw new ContactImportError(
          'import_unreadable',
          `cannot read ${file}: ${(error as Error).message}`,
          {
            field: 'file',
            cause: error,
          },
        );
      }
      const store = await (io.openStore ?? storeFromConfig)();
      try {
        const subscriptions = createSubscriptions({ store });
        const outcome = await subscriptions.importContacts({
          text,
          format,
          onProgress: io.stderr.isTTY ? progressBar(io.stderr) : undefined,
        });
        if (!outcome.ok) {
          for (const problem of outcome.problems) {
            io.stderr.write(`${file}:${problem.line} ${problem.field} ${problem.message}\n`);
          }
          const count = outcome.problems.length;
          throw new ContactImportError(
            'import_invalid',
            `nothing imported: ${count} problem${count === 1 ? '' : 's'} in ${file} (listed above)`,
            { field: 'file' },
          );
        }
        io.stdout.write(
          `imported ${outcome.created + outcome.updated} contacts from ${file}: ` +
            `${outcome.created} created, ${outcome.updated} updated\n`,
        );
        // Never silently re-subscribed: an erased address starts unsubscribed where it had left.
        for (const row of outcome.suppressed) {
          const where = row.suppressed
            .map(
              (entry) =>
                `${entry.channel} ${entry.groups === 'all' ? 'all groups' : `groups ${entry.groups.join(', ')}`}`,
            )
            .join('; ');
          io.stdout.write(`suppressed: ${row.email} starts unsubscribed (${where})\n`);
        }
      } finally {
        await store.close();
      }
    });
  return contacts;
}
