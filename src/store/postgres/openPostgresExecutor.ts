/**
 * @module The PostgreSQL backend of the store: a `pg` pool shared by any number of unsub processes.
 *
 * Every connection starts with `search_path` set to the configured schema (a startup option, so no
 * query can run before it). BIGINT columns (times in ms, outbox ids) are parsed to JavaScript
 * numbers: they stay far below 2^53, and the verbs want numbers, not the strings `pg` returns by default.
 */
import pg from 'pg';
import type { BackendCapabilities } from '../types.js';
import type { SqlExecutor, SqlRow, SqlSession, SqlValue } from '../sqlExecutor.js';
import { StoreError } from '../storeError.js';
import { createNotifications } from './postgresNotifications.js';

/** PostgreSQL's capabilities; see `BackendCapabilities` for what each flag means. */
export const postgresCapabilities: BackendCapabilities = {
  name: 'postgres',
  // READ COMMITTED lets two transactions read the same row; FOR UPDATE makes the second wait.
  lockRowsSuffix: ' FOR UPDATE',
  // Workers claiming deliveries pass over rows another worker holds instead of queueing behind it.
  skipLockedSuffix: ' FOR UPDATE SKIP LOCKED',
  noIndexPrefix: '',
  multiProcess: true,
  // Fan-out and claim as one statement each: see `BackendCapabilities`.
  singleStatementDispatch: true,
  // The wire protocol counts parameters in 16 bits.
  maxParameters: 65_535,
};

/**
 * Round trips and transactions of every PostgreSQL executor in this process, counted as they are
 * sent: `npm run bench:dispatch` prints them per delivery (`roundTrips` includes BEGIN, COMMIT and
 * ROLLBACK; `statements` does not). Counting is two additions per query.
 */
export const postgresTraffic = { roundTrips: 0, statements: 0, transactions: 0 };

/** OID of BIGINT (int8) in pg_type. */
const int8Oid = 20;

/** Parses BIGINT to number; other types keep pg's default parsers. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === int8Oid && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** A schema name we can put in SQL and a startup option without quoting trouble. */
const schemaPattern = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Namespace of our advisory locks (first key of the two-key form): "unsub" in a number. */
const advisoryNamespace = 0x756e73;

/** Rewrites `?` placeholders to PostgreSQL's `$1, $2, …`. */
function numberPlaceholders(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

/**
 * Statement texts that run as named prepared statements, at most this many per process: the verbs'
 * hot SQL comes in a few memoized shapes, and a named statement is parsed and planned once per
 * connection instead of on every call (a 64-row INSERT has 448 parameters to parse each time).
 * Texts beyond the bound (rare, one-off SQL) run unnamed, so the connections' caches stay bounded.
 */
const maxNamedStatements = 512;

/** Query configs by `?`-SQL text: numbered once, named while there is room. */
const queryConfigs = new Map<string, { text: string; name?: string }>();

/** The pg query config for `sql` with `values`. */
function queryConfig(sql: string, values: readonly SqlValue[]): pg.QueryConfig {
  let config = queryConfigs.get(sql);
  if (config === undefined) {
    config = { text: numberPlaceholders(sql) };
    if (queryConfigs.size < maxNamedStatements) {
      config.name = `unsub_${queryConfigs.size}`;
      queryConfigs.set(sql, config);
    }
  }
  return config.name === undefined
    ? { text: config.text, values: values as SqlValue[] }
    : { name: config.name, text: config.text, values: values as SqlValue[] };
}

/** Options of `openPostgresExecutor`. */
export interface PostgresExecutorOptions {
  /** `postgres://user@host:port/db`. */
  url: string;
  /** Schema for every table (created by the first migration run); default `public`. */
  schema?: string;
  /** Largest number of connections (default 10). */
  poolSize?: number;
}

/**
 * Opens a pool on `url`. Connections are made lazily; migrations make the first one.
 * @throws StoreError `invalid_option` (field `schema`) for a schema name that is not a plain identifier.
 */
export function openPostgresExecutor(options: PostgresExecutorOptions): SqlExecutor {
  const schema = options.schema ?? 'public';
  if (!schemaPattern.test(schema)) {
    throw new StoreError('invalid_option', `schema "${schema}" must be letters, digits and _ (at most 63)`, {
      field: 'schema',
    });
  }
  const connection: pg.ClientConfig = {
    connectionString: options.url,
    options: `-c search_path="${schema}"`,
    types,
  };
  const pool = new pg.Pool({ ...connection, max: options.poolSize ?? 10 });
  const notifications = createNotifications({ client: connection, schema });
  // An idle client losing its connection (server restart) must not crash the process; the pool
  // drops that client and the next query connects afresh.
  pool.on('error', () => undefined);

  const sessionOf = (client: pg.Pool | pg.PoolClient): SqlSession => ({
    async all<T extends SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      postgresTraffic.roundTrips++;
      postgresTraffic.statements++;
      const result = await client.query(queryConfig(sql, params));
      return result.rows as T[];
    },
    async firstValues<T extends readonly unknown[]>(
      sql: string,
      params: readonly SqlValue[] = [],
    ): Promise<T | undefined> {
      postgresTraffic.roundTrips++;
      postgresTraffic.statements++;
      const config: pg.QueryArrayConfig = { ...queryConfig(sql, params), rowMode: 'array' };
      const result = await client.query(config);
      return result.rows[0] as T | undefined;
    },
    async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
      postgresTraffic.roundTrips++;
      postgresTraffic.statements++;
      const result = await client.query(queryConfig(sql, params));
      return result.rowCount ?? 0;
    },
    async exec(sql: string): Promise<void> {
      // No parameters: the simple query protocol, which accepts several statements.
      await client.query(sql);
    },
  });

  return {
    capabilities: postgresCapabilities,
    ...sessionOf(pool),
    migrationPrelude: [
      // Transaction-scoped: released by COMMIT/ROLLBACK even if this process dies mid-migration.
      `SELECT pg_advisory_xact_lock(${advisoryNamespace}, hashtext('migrate:${schema}'))`,
      // Under the lock: concurrent CREATE SCHEMA IF NOT EXISTS can still collide on the catalog.
      `CREATE SCHEMA IF NOT EXISTS "${schema}"`,
    ],
    async transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      postgresTraffic.transactions++;
      try {
        postgresTraffic.roundTrips++;
        await client.query('BEGIN');
        const value = await fn(sessionOf(client));
        postgresTraffic.roundTrips++;
        await client.query('COMMIT');
        return value;
      } catch (error) {
        try {
          postgresTraffic.roundTrips++;
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // The connection is unusable: destroy it rather than return it to the pool.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
        throw error;
      } finally {
        client.release(broken);
      }
    },
    uniqueViolation(error: unknown): string | undefined {
      const e = error as { code?: unknown; table?: unknown; detail?: unknown };
      if (e?.code !== '23505') return undefined;
      // detail: `Key (email_key)=(a@b.c) already exists.`
      const column = typeof e.detail === 'string' ? /^Key \(([\w, ]+)\)/.exec(e.detail)?.[1] : undefined;
      return `${String(e.table)}.${column ?? ''}`;
    },
    notifications,
    async close(): Promise<void> {
      await notifications.close();
      // pg throws when a pool is ended twice; closing a closed store is harmless here.
      if (!pool.ended) await pool.end();
    },
  };
}
