/**
 * @module The `unsub` command line: one commander program; each command lives in its own file and
 * is registered here.
 */
import { Command, CommanderError } from 'commander';
import { isUnsubError } from '../errors/index.js';
import { version } from '../version.js';

/** Builds the program with every command registered. */
export function buildProgram(): Command {
  const program = new Command('unsub')
    .description('Signed unsubscribe links, unsubscribe pages and a durable webhook dispatcher.')
    .version(version)
    .showHelpAfterError()
    .exitOverride();
  // Commands register below, one line each (keep alphabetical).
  return program;
}

/** Runs the CLI; resolves when the command is done (serve resolves on shutdown). */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    if (isUnsubError(error)) {
      process.stderr.write(`unsub: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}
