/**
 * @module Runs the CLI from source (`node --import tsx src/cli/run.ts …`), as `bin/unsub.js` runs
 * the compiled one: used by tests that spawn `unsub` without a build.
 */
import { main } from './index.js';

main(process.argv).catch((error: unknown) => {
  process.stderr.write(`unsub: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
