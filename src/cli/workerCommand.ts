/**
 * @module `unsub worker`: runs only the webhook dispatcher (no HTTP) until SIGINT/SIGTERM, with the
 * configuration of `unsub serve` (UNSUB_DATABASE_URL, UNSUB_WEBHOOK_*, UNSUB_RETRY_SCHEDULE). On
 * PostgreSQL any number of workers (and `serve` processes) share the work; on SQLite only one
 * process may dispatch.
 */
import { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { loggerFromConfig, serverLogFrom } from '../logging/index.js';
import { openStore, type StoreOptions } from '../store/index.js';
import {
  createDispatcher,
  createPruner,
  dispatcherOptionsFromConfig,
  readRetentionDays,
} from '../webhooks/index.js';

/**
 * Starts the dispatcher for `config`; resolves once it has stopped after SIGINT/SIGTERM.
 * `storeOptions` adds store options the environment cannot express (tests: a PostgreSQL schema per test).
 */
export async function runWorker(config: Config, storeOptions: Partial<StoreOptions> = {}): Promise<void> {
  // The logging part, not the server's module: that would load the whole HTTP app into a process
  // that serves no HTTP.
  const log = serverLogFrom(loggerFromConfig(config));
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    sqlitePath: config.sqlitePath,
    thread: config.sqliteThread,
    ...storeOptions,
  });
  if (!store.capabilities.multiProcess) {
    log.warn(
      `the SQLite store (${config.sqlitePath}) allows one dispatching process: do not run another ` +
        '`unsub worker` or a `unsub serve` with UNSUB_WORKER on for this file; use PostgreSQL to scale out',
    );
  }
  const dispatcher = createDispatcher({
    store,
    ...dispatcherOptionsFromConfig(config),
    logger: log,
  });
  const pruner = createPruner({
    store,
    retentionDays: async () => (await readRetentionDays(store, config.retentionDays)).days,
    auditRetentionDays: config.auditRetentionDays,
    logger: log,
  });
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      log.info('stopping the webhook dispatcher: finishing attempts in flight');
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    dispatcher.start();
    pruner.start();
  });
  try {
    await pruner.stop();
    await dispatcher.stop();
  } finally {
    await store.close();
  }
}

/** The `worker` command. */
export function workerCommand(): Command {
  return new Command('worker')
    .description('run only the webhook dispatcher until SIGINT/SIGTERM (scale out on PostgreSQL)')
    .exitOverride()
    .action(async () => {
      // A ConfigError (naming the variable) reaches main(), which prints it and exits with 1.
      await runWorker(loadConfig());
    });
}
