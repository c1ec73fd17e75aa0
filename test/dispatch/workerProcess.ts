/**
 * @module A worker process for the reliability tests on PostgreSQL: `unsub worker`'s own code
 * (`runWorker`) with the per-test schema from `UNSUB_TEST_SCHEMA`, which the environment of the
 * real command cannot name. Run with `node --import tsx test/dispatch/workerProcess.ts`.
 */
import { loadConfig } from '../../src/config/index.js';
import { runWorker } from '../../src/cli/workerCommand.js';

runWorker(loadConfig(), { schema: process.env.UNSUB_TEST_SCHEMA }).catch((error: unknown) => {
  process.stderr.write(`worker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
