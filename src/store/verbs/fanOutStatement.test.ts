/**
 * @module The PostgreSQL fan-out statement inserts deliveries without ON CONFLICT (nothing in unsub
 * can make a delivery of an undispatched event); should something outside unsub do so anyway — an
 * event's `dispatched_at` reset by hand — the page is fanned out again with the conflict-tolerant
 * text: no error, no second delivery, the existing one left for a claim, the rest leased as usual.
 */
import pg from 'pg';
import { expect, test } from 'vitest';
import { postgresAvailable, postgresTestDatabase, postgresTestUrl } from '../../../test/support/databases.js';
import { openStore } from '../openStore.js';
import { outboxEvent } from '../outboxEvent.js';

const available = await postgresAvailable('the fan-out statement check');
const secret = 'whsec_' + Buffer.alloc(24, 3).toString('base64');

test.skipIf(!available)(
  'an event fanned out twice keeps its one delivery; the page goes on',
  async (context) => {
    const options = await postgresTestDatabase(context);
    const store = await openStore(options);
    context.onTestFinished(() => store.close());
    const t0 = 1_700_000_000_000;
    await store.putEndpoint({ eventType: null, url: 'http://a.test/', secret, at: t0 });
    await store.appendEvents([outboxEvent({ event: 'message sent', n: 1 })], t0);
    expect(await store.fanOutPending(t0, 10)).toMatchObject({ events: 1, deliveries: 1 });
    const [first] = await store.listDeliveries();

    // Someone resets the event by hand; a new one arrives.
    const client = new pg.Client({
      connectionString: postgresTestUrl,
      options: `-c search_path="${options.schema}"`,
    });
    await client.connect();
    context.onTestFinished(() => client.end());
    await client.query('UPDATE outbox SET dispatched_at = NULL');
    await store.appendEvents([outboxEvent({ event: 'message sent', n: 2 })], t0 + 1);

    const again = await store.fanOutPending(t0 + 2, 10, { owner: 'w#1', leaseMs: 60_000, limit: 10 });
    expect(again).toMatchObject({ events: 2, deliveries: 1 });
    expect(again.claimed?.map((delivery) => JSON.parse(delivery.body).n)).toEqual([2]);
    const deliveries = await store.listDeliveries();
    expect(deliveries).toHaveLength(2);
    expect(deliveries.find((delivery) => delivery.id === first?.id)).toMatchObject({
      webhookId: first?.webhookId,
      leaseOwner: null,
    });
    expect(
      (await client.query('SELECT count(*)::int AS n FROM outbox WHERE dispatched_at IS NULL')).rows,
    ).toEqual([{ n: 0 }]);
  },
);
