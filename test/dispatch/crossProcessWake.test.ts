/**
 * @module Cross-process wake-up on PostgreSQL: an event committed by this process reaches an idle
 * `unsub worker` in another process through LISTEN/NOTIFY, not at its next poll (the poll period is
 * set far beyond the test's timeout, so only the signal can explain a delivery). When the worker's
 * LISTEN connection is killed, events committed meanwhile are still delivered (the reconnect looks
 * for work at once; polling remains the fallback), and once it is back a new event wakes it again.
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
import { appendNumberedEvents, spawnWorker, until } from './dispatchHarness.js';

const available = await postgresAvailable('the PostgreSQL cross-process wake-up test');

test.skipIf(!available)(
  'an idle worker in another process is woken by NOTIFY, and its LISTEN connection comes back after a drop',
  async (context) => {
    const database = await postgresTestDatabase(context);
    const store = await openTestStore(context, database);
    expect(store.outboxSignal).toBe('all-processes');
    const receiver = await startWebhookReceiver();
    context.onTestFinished(() => receiver.close());
    await store.putEndpoint({
      eventType: null,
      url: `${receiver.origin}/hook`,
      secret: generateSecret(),
      at: Date.now(),
    });
    const admin = await testPostgresClient(context);
    const listenerPids = async () =>
      (
        await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query ILIKE 'LISTEN%'`,
          [`unsub listen ${database.schema}`.slice(0, 63)],
        )
      ).rows.map((row) => row.pid);

    // A poll period of ten minutes: without the signal nothing below would be delivered in time.
    const worker = spawnWorker(context, { database, env: { UNSUB_WEBHOOK_POLL_MS: '600000' } });
    await worker.started;
    await until(async () => (await listenerPids()).length === 1, 20);
    // The worker's first poll round has passed: it is idle, waiting for a signal.
    await new Promise((resolve) => setTimeout(resolve, 200));

    await appendNumberedEvents(store, 1, Date.now());
    await until(() => receiver.requests.length === 1, 5);

    // Drop the LISTEN connection; an event committed now is not announced to the worker.
    const [first] = await listenerPids();
    await admin.query('SELECT pg_terminate_backend($1)', [first]);
    await appendNumberedEvents(store, 1, Date.now());
    await until(() => receiver.requests.length === 2, 5);
    // Back on a new connection, the signal wakes it again.
    await until(async () => {
      const pids = await listenerPids();
      return pids.length === 1 && pids[0] !== first;
    }, 20);
    await appendNumberedEvents(store, 3, Date.now());
    await until(() => receiver.requests.length === 5, 5);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  },
  60_000,
);
