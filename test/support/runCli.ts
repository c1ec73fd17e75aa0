/**
 * @module Runs the `unsub` CLI in process, as a shell would run `unsub ARGS…`: through `main` (which
 * loads only the named command), capturing stdout, stderr and the exit code, with environment
 * variables set for that run only.
 */
import { vi } from 'vitest';
import { main } from '../../src/cli/index.js';

/** How to run the CLI. */
export interface RunCliOptions {
  /**
   * Variables set for this run only (`undefined` unsets one); the previous values are put back
   * afterwards, so a test cannot leak configuration into the next. The CLI reads them through
   * `loadConfig`, which reads `process.env`.
   */
  env?: Record<string, string | undefined>;
}

/** What a run printed and how it exited. */
export interface CliResult {
  stdout: string;
  stderr: string;
  /** `process.exitCode` after the run; 0 when the command left it unset. */
  exitCode: number;
}

/**
 * Runs `unsub ...args` in process and resolves with its output and exit code. An error `main` does
 * not turn into an exit code (a bug, not a usage error) is rethrown.
 */
export async function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  const env = options.env ?? {};
  const saved = Object.keys(env).map((name) => [name, process.env[name]] as const);
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
  setEnv(Object.entries(env));
  process.exitCode = undefined;
  try {
    await main(['node', 'unsub', ...args]);
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    setEnv(saved);
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { stdout: out.join(''), stderr: err.join(''), exitCode };
}

/** Sets (or, for `undefined`, unsets) each variable. */
function setEnv(entries: readonly (readonly [string, string | undefined])[]): void {
  for (const [name, value] of entries) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}
