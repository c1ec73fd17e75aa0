#!/usr/bin/env node
// @module The `unsub` command: runs the compiled CLI (built by `npm install` through the prepare script).
import { main } from '../dist/src/cli/index.js';

main(process.argv).catch((error) => {
  process.stderr.write(`unsub: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
