/**
 * @module `unsub serve [--demo]`: runs the public pages, the admin API, the console, `/healthz`,
 * `/metrics` and (unless UNSUB_WORKER=false) the webhook dispatcher in one process until SIGINT/SIGTERM. Configuration comes only from
 * `UNSUB_*` variables and `PORT`; a bad value stops it with the variable's name (exit status 1).
 */
import { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { startServer } from '../server/index.js';

/** The `serve` command. Resolves when the server has shut down. */
export function serveCommand(): Command {
  return new Command('serve')
    .description(
      'serve the unsubscribe pages, the admin API, the console and the webhook dispatcher until SIGINT/SIGTERM',
    )
    .option('--demo', 'seed demo groups and a demo contact and serve a clickable newsletter preview at /')
    .exitOverride()
    .action(async (options: { demo?: boolean }) => {
      // A ConfigError (naming the variable) reaches main(), which prints it and exits with 1.
      const config = loadConfig();
      const server = await startServer(config, { demo: options.demo === true });
      await server.closed;
    });
}
