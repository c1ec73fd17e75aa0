/**
 * @module Test databases: each test gets its own SQLite temp file or PostgreSQL schema, named from
 * the test, dropped when the test passes and kept (with a message saying where) when it fails.
 *
 * PostgreSQL: `UNSUB_TEST_DATABASE_URL`, or postgres://postgres@127.0.0.1:5432/test when unset. When
 * the server is unreachable the PostgreSQL suites skip with a visible warning — unless the variable
 * was set explicitly (CI), in which case they fail.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestContext } from 'vitest';
import { openStore, redactUrl, type Store, type StoreOptions } from '../../src/store/index.js';

/** The PostgreSQL server the tests use. */
export const postgresTestUrl: string =
  process.env.UNSUB_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** True when the URL was given explicitly: then an unreachable server is a failure, not a skip. */
export const postgresRequired: boolean = Boolean(process.env.UNSUB_TEST_DATABASE_URL);

let probed: Promise<boolean> | undefined;

/**
 * Whether PostgreSQL answers at `postgresTestUrl` (checked once per test file). Unreachable and not
 * required: warns "PostgreSQL unreachable at …: skipping the PostgreSQL store suite" and returns false.
 * @throws Error when unreachable and `UNSUB_TEST_DATABASE_URL` is set.
 */
export function postgresAvailable(suite = 'the PostgreSQL store suite'): Promise<boolean> {
  probed ??= (async () => {
    const client = new pg.Client({ connectionString: postgresTestUrl, connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch (error) {
      const message = `PostgreSQL unreachable at ${redactUrl(postgresTestUrl)} (${(error as Error).message})`;
      if (postgresRequired)
        throw new Error(`${message}; UNSUB_TEST_DATABASE_URL is set, so this is a failure`, { cause: error });
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return probed.then((available) => {
    if (!available)
      console.warn(`PostgreSQL unreachable at ${redactUrl(postgresTestUrl)}: skipping ${suite}`);
    return available;
  });
}

/** A short identifier from the test's name: lower-case letters, digits and `_`, plus a random tail. */
export function testDatabaseName(context: TestContext, maxLength = 40): string {
  const base = context.task.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, maxLength);
  return `t_${base}_${randomBytes(3).toString('hex')}`;
}

/** True when the finished test passed (its database can go). */
function passed(context: TestContext): boolean {
  return context.task.result?.state === 'pass';
}

/** A fresh SQLite file for this test (removed with its WAL files when the test passes). */
export async function sqliteTestDatabase(context: TestContext): Promise<StoreOptions> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `unsub-${testDatabaseName(context)}-`));
  context.onTestFinished((finished) => {
    if (passed(finished)) fs.rmSync(dir, { recursive: true, force: true });
    else console.warn(`kept the SQLite database of failed test "${finished.task.name}": ${dir}`);
  });
  return { sqlitePath: path.join(dir, 'unsub.db') };
}

/** A fresh PostgreSQL schema for this test (dropped when the test passes). */
export async function postgresTestDatabase(context: TestContext): Promise<StoreOptions> {
  const schema = testDatabaseName(context);
  context.onTestFinished(async (finished) => {
    if (!passed(finished)) {
      console.warn(`kept the PostgreSQL schema of failed test "${finished.task.name}": ${schema}`);
      return;
    }
    const client = new pg.Client({ connectionString: postgresTestUrl });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  });
  return { databaseUrl: postgresTestUrl, schema, poolSize: 4 };
}

/**
 * A plain connection to the test server beside the store (for what a test reads or holds behind
 * the store's back), its search path on `schema` when given; ended when the test finishes (before
 * the test's database is dropped, when it was made earlier).
 */
export async function testPostgresClient(context: TestContext, schema?: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: postgresTestUrl,
    ...(schema === undefined ? {} : { options: `-c search_path="${schema}"` }),
  });
  await client.connect();
  context.onTestFinished(() => client.end());
  return client;
}

/** Opens a store on `options`, closed when the test finishes (before its database is dropped). */
export async function openTestStore(context: TestContext, options: StoreOptions): Promise<Store> {
  const store = await openStore(options);
  // onTestFinished hooks run in reverse order of registration: this close runs before the drop.
  context.onTestFinished(() => store.close());
  return store;
}

/** A backend the cross-part suites run on: its name and how to make a fresh database. */
export interface TestBackend {
  name: 'sqlite' | 'postgres';
  makeDatabase(context: TestContext): Promise<StoreOptions>;
}

/** SQLite always; PostgreSQL too when reachable (see `postgresAvailable`). */
export async function testBackends(suite?: string): Promise<TestBackend[]> {
  const backends: TestBackend[] = [{ name: 'sqlite', makeDatabase: sqliteTestDatabase }];
  if (await postgresAvailable(suite)) backends.push({ name: 'postgres', makeDatabase: postgresTestDatabase });
  return backends;
}
