/**
 * @module The `unsub` command line: one commander program; each command lives in its own file and
 * is registered here.
 */
import { Command, CommanderError } from 'commander';
import { isUnsubError } from '../errors/index.js';
import { version } from '../version.js';
import { eventsCommand } from './eventsCommand.js';
import { webhooksCommand } from './webhooksCommand.js';
import { workerCommand } from './workerCommand.js';
import { contactsCommand } from './contactsCommand.js';
import { keysCommand } from './keysCommand.js';
import { linksCommand } from './linksCommand.js';
import { lintCommand } from './lintCommand.js';
import { renderCommand } from './renderCommand.js';
import { serveCommand } from './serveCommand.js';

/** Builds the program with every command registered. */
export function buildProgram(): Command {
  const program = new Command('unsub')
    .description('Signed unsubscribe links, unsubscribe pages and a durable webhook dispatcher.')
    .version(version)
    .showHelpAfterError()
    .exitOverride();
  // Commands register below, one line each (keep alphabetical).
  program.addCommand(contactsCommand());
  program.addCommand(eventsCommand());
  program.addCommand(keysCommand());
  program.addCommand(linksCommand());
  program.addCommand(lintCommand());
  program.addCommand(renderCommand());
  program.addCommand(serveCommand());
  program.addCommand(webhooksCommand());
  program.addCommand(workerCommand());
  // `addCommand` does not pass settings down: every (sub)command must throw instead of calling
  // process.exit, so `main` decides the exit code (and in-process tests survive a usage error).
  applyToAll(program, (command) => command.exitOverride().showHelpAfterError());
  return program;
}

/** Calls `fn` on a command and every command below it. */
function applyToAll(command: Command, fn: (command: Command) => void): void {
  fn(command);
  for (const sub of command.commands) applyToAll(sub, fn);
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
