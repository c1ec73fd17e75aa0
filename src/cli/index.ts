/**
 * @module The `unsub` command line: one commander program; each command lives in its own file and
 * is registered here.
 */
import { Command, CommanderError } from 'commander';
import { isUnsubError } from '../errors/index.js';
import { version } from '../version.js';

/**
 * Every command, loaded on demand: a command module pulls in its part (the store, the HTTP app,
 * chevrotain …), and `unsub worker` should not pay for the template engine at start-up.
 */
const commandLoaders: Record<string, () => Promise<Command>> = {
  contacts: async () => (await import('./contactsCommand.js')).contactsCommand(),
  db: async () => (await import('./dbCommand.js')).dbCommand(),
  events: async () => (await import('./eventsCommand.js')).eventsCommand(),
  keys: async () => (await import('./keysCommand.js')).keysCommand(),
  links: async () => (await import('./linksCommand.js')).linksCommand(),
  lint: async () => (await import('./lintCommand.js')).lintCommand(),
  render: async () => (await import('./renderCommand.js')).renderCommand(),
  serve: async () => (await import('./serveCommand.js')).serveCommand(),
  webhooks: async () => (await import('./webhooksCommand.js')).webhooksCommand(),
  worker: async () => (await import('./workerCommand.js')).workerCommand(),
};

/**
 * Builds the program. With `argv`, only the command it names is loaded (all of them when it names
 * none, e.g. for `--help`); without, every command.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('unsub')
    .description('Signed unsubscribe links, unsubscribe pages and a durable webhook dispatcher.')
    .version(version)
    .showHelpAfterError()
    .exitOverride();
  const named = argv?.slice(2).find((arg) => !arg.startsWith('-'));
  const names = named !== undefined && named in commandLoaders ? [named] : Object.keys(commandLoaders);
  for (const name of names) program.addCommand(await (commandLoaders[name] as () => Promise<Command>)());
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
  const program = await buildProgram(argv);
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
