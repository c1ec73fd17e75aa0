/**
 * @module A PostgreSQL worker process for the dispatch benchmark: `unsub worker`'s `runWorker` with
 * the benchmark's schema (`BENCH_SCHEMA`), which the command's environment cannot name.
 */
import { runWorker } from '../src/cli/workerCommand.js';
import { loadConfig } from '../src/config/index.js';

runWorker(loadConfig(), { schema: process.env.BENCH_SCHEMA }).catch((error: unknown) => {
  process.stderr.write(`bench worker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
