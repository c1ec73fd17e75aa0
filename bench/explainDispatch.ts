/**
 * @module `npx tsx bench/explainDispatch.ts`: EXPLAIN (ANALYZE, BUFFERS) of the PostgreSQL dispatch
 * statements at 1 M rows (`BENCH_ROWS`): an outbox of 1 M events, 1 M deliveries of which 1 %
 * are pending and due, 1 M attempts. The statements are the verbs' own SQL texts (claim, outbox
 * page, success completion with 64 ids, 64 attempt rows), each run inside a transaction that is
 * rolled back. The findings are in docs/postgres-dispatch.md. Uses UNSUB_TEST_DATABASE_URL and a
 * schema of its own, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore } from '../src/store/index.js';

const url = process.env.UNSUB_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
const schema = `bench_explain_${randomBytes(4).toString('hex')}`;
const store = await openStore({ databaseUrl: url, schema });
await store.close();
const client = new pg.Client({ connectionString: url, options: `-c search_path="${schema}"` });
await client.connect();
const now = 1_700_000_000_000;
try {
  const started = performance.now();
  await client.query(`INSERT INTO endpoints (slot, event_type, url, secrets, created_at, updated_at)
    VALUES ('*', NULL, 'https://hooks.example.com/', '[]', ${now}, ${now})`);
  await client.query(`INSERT INTO outbox (type, body, created_at, dispatched_at)
    SELECT 'message sent', '{"event":"message sent","n":' || n || '}', ${now}, ${now}
    FROM generate_series(1, ${rows}) AS n`);
  // 1 % pending and due (the claim's candidates), the rest delivered.
  await client.query(`INSERT INTO deliveries (event_id, endpoint_id, event_type, webhook_id, status, attempts,
      next_attempt_at, created_at, updated_at)
    SELECT id, 1, type, 'msg_' || id, CASE WHEN id % 100 = 0 THEN 'pending' ELSE 'succeeded' END,
      CASE WHEN id % 100 = 0 THEN 0 ELSE 1 END, CASE WHEN id % 100 = 0 THEN ${now} ELSE NULL END, ${now}, ${now}
    FROM outbox`);
  await client.query(`INSERT INTO attempts (delivery_id, at, status, duration_ms, error, response_excerpt, worker)
    SELECT id, ${now}, 204, 3, NULL, '', 'bench#1' FROM deliveries WHERE status = 'succeeded'`);
  // 1,000 new events waiting for fan-out.
  await client.query(`INSERT INTO outbox (type, body, created_at)
    SELECT 'message sent', '{"event":"message sent"}', ${now} FROM generate_series(1, 1000)`);
  await client.query('ANALYZE');
  process.stdout.write(`set-up: ${rows} rows per table in ${Math.round(performance.now() - started)} ms\n`);

  const explain = async (title: string, sql: string, params: unknown[]) => {
    await client.query('BEGIN');
    try {
      const plan = await client.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`, params);
      process.stdout.write(`\n### ${title}\n\n${plan.rows.map((row) => row['QUERY PLAN']).join('\n')}\n`);
    } finally {
      await client.query('ROLLBACK');
    }
  };
  await explain(
    'claim: 64 due deliveries of one endpoint (dispatchVerbs claimDeliveries)',
    `UPDATE deliveries SET lease_owner = $1, lease_expires_at = $2, updated_at = $3
     WHERE id IN (
       SELECT id FROM deliveries
       WHERE endpoint_id = $4 AND status = 'pending' AND next_attempt_at <= $5
         AND (lease_expires_at IS NULL OR lease_expires_at <= $6)
       ORDER BY next_attempt_at, id LIMIT $7 FOR UPDATE SKIP LOCKED)
     RETURNING id, event_id`,
    ['w#1', now + 61_000, now, 1, now, now, 64],
  );
  await explain(
    'fan-out: a page of 64 undispatched events (dispatchVerbs fanOutPending)',
    `SELECT id, type, body FROM outbox WHERE dispatched_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [64],
  );
  const pending = (
    await client.query(`SELECT id FROM deliveries WHERE status = 'pending' LIMIT 64`)
  ).rows.map((row: { id: number }) => row.id);
  await client.query(`UPDATE deliveries SET lease_owner = 'w#1' WHERE id = ANY($1)`, [pending]);
  await explain(
    'completion: 64 successes of one lease (completeAttemptsVerb succeededSql)',
    `UPDATE deliveries SET status = 'succeeded', attempts = attempts + 1, next_attempt_at = NULL,
       lease_owner = NULL, lease_expires_at = NULL, last_status = $1, last_error = NULL, updated_at = $2
     WHERE status = 'pending' AND lease_owner = $3 AND id IN (${pending.map((_, i) => `$${i + 4}`).join(', ')})
     RETURNING id, endpoint_id`,
    [204, now, 'w#1', ...pending],
  );
  await explain(
    'completion: 64 attempt rows (completeAttemptsVerb insertAttemptsSql)',
    `INSERT INTO attempts (delivery_id, at, status, duration_ms, error, response_excerpt, worker)
     SELECT id, ${now}, 204, 3, NULL, '', 'w#1' FROM unnest($1::bigint[]) AS id`,
    [pending],
  );
  const sizes = await client.query(
    `SELECT relname, pg_size_pretty(pg_total_relation_size(c.oid)) AS size FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND relkind IN ('r', 'i') ORDER BY relname`,
    [schema],
  );
  process.stdout.write(
    `\n### sizes\n\n${sizes.rows.map((row) => `${row.relname}: ${row.size}`).join('\n')}\n`,
  );
} finally {
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}
