/**
 * @module Shared pieces of the dispatcher's reliability tests: worker child processes (the real
 * `unsub worker` on SQLite; `runWorker` with a per-test schema on PostgreSQL), bulk events, and
 * polling for a condition (bounded by each test's timeout, never by a timing threshold).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'vitest';
import { outboxEvent, type Store, type StoreOptions } from '../../src/store/index.js';

/** The repository root (`--import tsx` resolves tsx from the working directory). */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Polls `check` every `everyMs` (default 10 ms) until it holds. */
export async function until(check: () => boolean | Promise<boolean>, everyMs = 10): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, everyMs));
}

/** A worker child process. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout (its log) and stderr so far. */
  stderr(): string;
  /** Resolves once its dispatcher has started (its "started" log line). */
  started: Promise<void>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** Settings of the workers of one test. */
export interface WorkerEnvironment {
  /** The database the workers use (a test's SQLite file or PostgreSQL schema). */
  database: StoreOptions;
  /** More `UNSUB_*` variables (schedule, concurrency, …). */
  env?: Record<string, string>;
}

/**
 * Starts a worker: `node --import tsx src/cli/run.ts worker` on SQLite; on PostgreSQL
 * `test/dispatch/workerProcess.ts` (the same `runWorker`, plus the test's schema). The child sees
 * only PATH, HOME and the `UNSUB_*` variables given here. It is SIGKILLed when the test ends.
 */
export function spawnWorker(context: TestContext, options: WorkerEnvironment): WorkerProcess {
  const { database } = options;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'unsub-worker-'));
  const postgres = database.databaseUrl !== undefined;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.tmpdir(),
    UNSUB_DATA_DIR: dataDir,
    UNSUB_LOG: 'info',
    UNSUB_WEBHOOK_ALLOW: '127.0.0.0/8',
    UNSUB_WEBHOOK_TIMEOUT_MS: '1000',
    UNSUB_DATABASE_URL: postgres ? (database.databaseUrl as string) : `sqlite:${database.sqlitePath}`,
    ...(postgres ? { UNSUB_TEST_SCHEMA: database.schema ?? 'public' } : {}),
    ...options.env,
  };
  const args = postgres
    ? ['--import', 'tsx', 'test/dispatch/workerProcess.ts']
    : ['--import', 'tsx', 'src/cli/run.ts', 'worker'];
  const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  // The log goes to stdout (pino), a crash's stack to stderr: keep both.
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      stderr += chunk;
      if (/webhook dispatcher \S+ started/.test(stderr)) markStarted();
    });
  }
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  context.onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return { child, stderr: () => stderr, started, exited };
}

/** Appends `count` small distinct events (`message sent`, numbered) in transactions of 1,000. */
export async function appendNumberedEvents(store: Store, count: number, at: number): Promise<void> {
  for (let start = 0; start < count; start += 1_000) {
    const events = Array.from({ length: Math.min(1_000, count - start) }, (_, offset) =>
      outboxEvent({ event: 'message sent', n: start + offset }),
    );
    await store.appendEvents(events, at);
  }
}

/** The distinct `webhook-id`s among received requests. */
export function distinctIds(requests: readonly { headers: Record<string, unknown> }[]): Set<string> {
  return new Set(requests.map((request) => String(request.headers['webhook-id'])));
}
