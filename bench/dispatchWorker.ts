/**
 * @module A PostgreSQL worker process for the dispatch benchmark: `unsub worker`'s `runWorker` with
 * the benchmark's schema (`BENCH_SCHEMA`), which the command's environment cannot name. With
 * BENCH_MODEL it runs the same dispatcher over a row model of `modelStores.ts` instead (an
 * experiment: the schema was prepared for it by `bench:dispatch`).
 */
import pg from 'pg';
import { runWorker } from '../src/cli/workerCommand.js';
import { loadConfig } from '../src/config/index.js';
import { loggerFromConfig, serverLogFrom } from '../src/logging/index.js';
import { openStore } from '../src/store/index.js';
import { postgresTraffic } from '../src/store/postgres/openPostgresExecutor.js';
import { createDispatcher, dispatcherOptionsFromConfig } from '../src/webhooks/index.js';
import { modelStore, type ModelSide } from './modelStores.js';

/** The dispatcher of `runWorker` over the model's store, until SIGTERM (no pruner: nothing expires). */
async function runModelWorker(model: ModelSide, schema: string): Promise<void> {
  const config = loadConfig();
  const store = await openStore({ databaseUrl: config.databaseUrl, schema });
  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    options: `-c search_path="${schema}"`,
    max: 10,
  });
  const [endpoint] = await store.listEndpoints();
  if (endpoint === undefined) throw new Error('the benchmark schema has no endpoint');
  const dispatcher = createDispatcher({
    store: modelStore(store, pool, endpoint, model),
    ...dispatcherOptionsFromConfig(config),
    logger: serverLogFrom(loggerFromConfig(config)),
  });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    dispatcher.start();
  });
  await dispatcher.stop();
  await pool.end();
  await store.close();
}

/**
 * After it stops, the worker prints its store traffic (round trips, statements, transactions, as
 * counted by the PostgreSQL executor) for the benchmark to divide by the deliveries.
 */
const model = process.env.BENCH_MODEL as ModelSide | undefined;
const schema = process.env.BENCH_SCHEMA;
(model !== undefined && schema !== undefined
  ? runModelWorker(model, schema)
  : runWorker(loadConfig(), { schema })
)
  .then(() => process.stdout.write(`bench traffic ${JSON.stringify(postgresTraffic)}\n`))
  .catch((error: unknown) => {
    process.stderr.write(`bench worker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
