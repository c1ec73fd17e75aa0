/**
 * @module A PostgreSQL worker process for the dispatch benchmark: `unsub worker`'s `runWorker` with
 * the benchmark's schema (`BENCH_SCHEMA`), which the command's environment cannot name.
 */
import { runWorker } from '../src/cli/workerCommand.js';
import { loadConfig } from '../src/config/index.js';
import { postgresTraffic } from '../src/store/postgres/openPostgresExecutor.js';

/**
 * After it stops, the worker prints its store traffic (round trips, statements, transactions, as
 * counted by the PostgreSQL executor) for the benchmark to divide by the deliveries.
 */
runWorker(loadConfig(), { schema: process.env.BENCH_SCHEMA })
  .then(() => process.stdout.write(`bench traffic ${JSON.stringify(postgresTraffic)}\n`))
  .catch((error: unknown) => {
    process.stderr.write(`bench worker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
