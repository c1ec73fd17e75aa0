/**
 * @module Scale-out test: three worker processes on one PostgreSQL schema dispatch 5,000 events.
 * Every event is delivered, all three workers take part, and no delivery is claimed by two workers
 * at once: the receiver sees each `webhook-id` exactly once and each delivery has exactly one
 * attempt (a double claim would show as a second POST and a second attempt row).
 */
import { expect, test } from 'vitest';
import { generateSecret } from '../../src/webhooks/index.js';
import {
  openTestStore,
  postgresAvailable,
  postgresTestDatabase,
  testPostgresClient,
} from '../support/databases.js';
import { startWebhookReceiver } from '../support/webhookReceiver.js';
import { appendNumberedEvents, distinctIds, spawnWorker, until } from './dispatchHarness.js';

const available = await postgresAvailable('the PostgreSQL scale-out test');
const events = 5_000;

test.skipIf(!available)(
  'scale-out: 3 workers, 5,000 events, each delivered once, never claimed twice',
  async (context) => {
    const database = await postgresTestDatabase(context);
    const store = await openTestStore(context, database);
    const receiver = await startWebhookReceiver();
    context.onTestFinished(() => receiver.close());
    await store.putEndpoint({
      eventType: null,
      url: `${receiver.origin}/hook`,
      secret: generateSecret(),
      at: Date.now(),
    });

    // Leases follow the attempt timeout (timeout × rounds held + 1 s): with the harness's 1 s, a
    // machine at load 10+ could keep a claimed delivery queued past its 5 s lease, and another
    // worker then rightly took it again (at-least-once) — a second POST this test would count as a
    // double claim. 5 s gives 21 s leases: what is tested is that live leases are never shared.
    const workers = [1, 2, 3].map(() =>
      spawnWorker(context, {
        database,
        env: { UNSUB_RETRY_SCHEDULE: '0,20ms,50ms,100ms', UNSUB_WEBHOOK_TIMEOUT_MS: '5000' },
      }),
    );
    // All three compete from the first event on.
    await Promise.all(workers.map((worker) => worker.started));
    await appendNumberedEvents(store, events, Date.now());
    await until(async () => (await store.deliveryStats()).byStatus.succeeded === events, 100);
    for (const worker of workers) worker.child.kill('SIGTERM');
    expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0, 0]);

    expect(receiver.requests).toHaveLength(events);
    expect(distinctIds(receiver.requests).size).toBe(events);
    const client = await testPostgresClient(context, database.schema);
    const doubled = await client.query(
      `SELECT delivery_id FROM attempt_log GROUP BY delivery_id HAVING count(*) <> 1`,
    );
    expect(doubled.rows).toEqual([]);
    const attempts = await client.query(`SELECT count(*)::int AS n FROM attempt_log WHERE status = 204`);
    expect(attempts.rows[0]).toEqual({ n: events });
    // The lease ids are `<worker>#<claim>`: three distinct workers did the work.
    const perWorker = await client.query(
      `SELECT split_part(worker, '#', 1) AS worker, count(*)::int AS n FROM attempt_log GROUP BY 1`,
    );
    expect(perWorker.rows).toHaveLength(3);
  },
  180_000,
);
