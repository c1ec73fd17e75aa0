/**
 * @module Ordered delivery per (endpoint, contact), end to end (issue 17). Real dispatcher, real
 * subscription commands, real HTTP on 127.0.0.1:
 * - the issue's scenario on both stores: the receiver answers 503 to the first attempt of an
 *   unsubscribe, the contact is re-subscribed 50 ms later; the receiver must get the unsubscribe
 *   (retried) and only then the subscribe;
 * - PostgreSQL: an earlier event that another worker is fanning out (its outbox row locked, so
 *   SKIP LOCKED passes over it) holds the later one, for a fan-out with a claim and for a claim;
 * - PostgreSQL: three worker processes, 1,000 contacts each flipping five times while the receiver
 *   fails one attempt in five: every contact's last delivered event is its final state, and each
 *   contact's delivered sequence numbers only grow.
 */
import { describe, expect, test } from 'vitest';
import { createEventBus } from '../../src/events/index.js';
import { outboxEvent, type ClaimedDelivery } from '../../src/store/index.js';
import { createSubscriptions } from '../../src/subscriptions/index.js';
import { createDispatcher, generateSecret, verifyWebhookDelivery } from '../../src/webhooks/index.js';
import {
  openTestStore,
  postgresAvailable,
  postgresTestDatabase,
  testBackends,
  testPostgresClient,
} from '../support/databases.js';
import { startWebhookReceiver } from '../support/webhookReceiver.js';
import { spawnWorker, until } from './dispatchHarness.js';

const backends = await testBackends('the PostgreSQL ordered delivery tests');
const postgres = await postgresAvailable('the PostgreSQL ordered delivery tests');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(backends)('ordered delivery ($name)', (backend) => {
  test('503 on the unsubscribe, re-subscribed 50 ms later: the receiver gets unsubscribe, then subscribe', async (context) => {
    const store = await openTestStore(context, await backend.makeDatabase(context));
    const bus = createEventBus();
    const subscriptions = createSubscriptions({ store, bus });
    const news = await subscriptions.createGroup({ name: 'News', systemName: 'news', channel: 'email' });
    const ann = await subscriptions.createContact({ email: 'ann@example.com', groupIds: [news.id] });

    const secret = generateSecret();
    /** What the receiver accepted (2xx), in order, as `verifyWebhookDelivery` parsed it. */
    const accepted: ReturnType<typeof verifyWebhookDelivery>[] = [];
    let refusedUnsubscribe = false;
    const receiver = await startWebhookReceiver((request, response) => {
      const delivery = verifyWebhookDelivery(secret, request.headers, request.body);
      if (delivery.event.event === 'mailing group unsubscribe' && !refusedUnsubscribe) {
        refusedUnsubscribe = true;
        response.writeHead(503).end();
        return;
      }
      accepted.push(delivery);
      response.writeHead(204).end();
    });
    context.onTestFinished(() => receiver.close());
    await store.putEndpoint({ eventType: null, url: `${receiver.origin}/hook`, secret, at: Date.now() });

    const dispatcher = createDispatcher({
      store,
      bus,
      allow: ['127.0.0.0/8'],
      pollMs: 50,
      // The retry comes well after the re-subscribe (as the issue's second later).
      schedule: [0, 500, 500, 500],
    });
    context.onTestFinished(() => dispatcher.stop());
    dispatcher.start();
    await until(() => accepted.length === 1);

    await subscriptions.unsubscribe({
      contactId: ann.id,
      channel: 'email',
      groupIds: [news.id],
      source: 'link',
    });
    await until(() => refusedUnsubscribe);
    await sleep(50);
    await subscriptions.subscribe({
      contactId: ann.id,
      channel: 'email',
      groupIds: [news.id],
      source: 'api',
    });
    await until(() => accepted.length === 3);
    await sleep(200); // nothing more arrives

    expect(accepted.map((delivery) => delivery.event.event)).toEqual([
      'contact adding',
      'mailing group unsubscribe',
      'mailing group subscribe',
    ]);
    const outbox = await store.listOutbox();
    expect(accepted.map((delivery) => delivery.seq)).toEqual(outbox.map((event) => event.id));
    expect(accepted.map((delivery) => delivery.time?.getTime())).toEqual(
      outbox.map((event) => event.createdAt),
    );
    expect(outbox.map((event) => event.orderingKey)).toEqual([ann.id, ann.id, ann.id]);
    const request = receiver.requests.at(-1);
    expect(request?.headers['unsub-event-time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

test.skipIf(!postgres)(
  'postgres: an earlier event another worker is fanning out holds the later one (SKIP LOCKED)',
  async (context) => {
    const database = await postgresTestDatabase(context);
    const store = await openTestStore(context, database);
    await store.putEndpoint({ eventType: null, url: 'http://a.test/', secret: generateSecret(), at: 1 });
    const [earlier, later] = await store.appendEvents(
      [
        outboxEvent({ event: 'mailing group unsubscribe', n: 1 }, { orderingKey: 7 }),
        outboxEvent({ event: 'mailing group subscribe', n: 2 }, { orderingKey: 7 }),
      ],
      1,
    );
    // "Another worker" holds the earlier event's outbox row, as its fan-out transaction does.
    const other = await testPostgresClient(context);
    await other.query('BEGIN');
    await other.query(`SELECT id FROM "${database.schema}".outbox WHERE id = $1 FOR UPDATE`, [earlier?.id]);

    const claim = { owner: 'w1', leaseMs: 60_000, limit: 10 };
    const fanned = await store.fanOutPending(2, 100, claim);
    expect(fanned).toMatchObject({ events: 1, deliveries: 1, claimed: [], held: 1 });
    expect(await store.claimDeliveries({ ...claim, now: 3 })).toEqual([]);
    await other.query('ROLLBACK');

    const first = await store.fanOutPending(4, 100, claim);
    expect(first.claimed?.map((delivery) => delivery.eventId)).toEqual([earlier?.id]);
    expect(await store.claimDeliveries({ ...claim, now: 5 })).toEqual([]);
    const done = first.claimed?.[0] as ClaimedDelivery;
    await store.completeAttempts([
      {
        deliveryId: done.id,
        owner: 'w1',
        outcome: 'succeeded',
        at: 6,
        attempt: { at: 6, status: 204, durationMs: 1, error: null, responseExcerpt: '' },
      },
    ]);
    const next = await store.claimDeliveries({ ...claim, now: 7 });
    expect(next.map((delivery) => delivery.eventId)).toEqual([later?.id]);
  },
);

test.skipIf(!postgres)(
  'postgres, 3 workers: 1,000 contacts flip five times, one attempt in five fails; each ends in its final state',
  async (context) => {
    const contacts = 1_000;
    const flips = 5;
    const database = await postgresTestDatabase(context);
    const store = await openTestStore(context, database);
    const subscriptions = createSubscriptions({ store });
    const group = await subscriptions.createGroup({ name: 'News', systemName: 'news', channel: 'email' });
    const secret = generateSecret();

    let requests = 0;
    /** Per e-mail: the events the receiver accepted, in order, with their seq. */
    const accepted = new Map<string, { event: string; seq: number }[]>();
    const receiver = await startWebhookReceiver((request, response) => {
      requests += 1;
      if (requests % 5 === 0) {
        response.writeHead(503).end();
        return;
      }
      const delivery = verifyWebhookDelivery(secret, request.headers, request.body);
      const { email } = delivery.event as { email: string };
      const list = accepted.get(email) ?? [];
      list.push({ event: delivery.event.event, seq: delivery.seq ?? -1 });
      accepted.set(email, list);
      response.writeHead(204).end();
    });
    context.onTestFinished(() => receiver.close());
    await store.putEndpoint({ eventType: null, url: `${receiver.origin}/hook`, secret, at: Date.now() });

    const workers = [1, 2, 3].map(() =>
      spawnWorker(context, {
        database,
        env: {
          // Long enough that no delivery runs out of attempts at a 1-in-5 failure rate.
          UNSUB_RETRY_SCHEDULE: ['0', ...Array<string>(30).fill('200ms')].join(','),
          UNSUB_WEBHOOK_CONCURRENCY: '32',
          UNSUB_WEBHOOK_ENDPOINT_CONCURRENCY: '32',
        },
      }),
    );
    await Promise.all(workers.map((worker) => worker.started));

    // Even contacts start subscribed, odd ones not; all flip five times while the workers run.
    const people = [];
    for (let n = 0; n < contacts; n++) {
      people.push(
        await subscriptions.createContact({
          email: `c${n}@example.com`,
          groupIds: n % 2 === 0 ? [group.id] : [],
        }),
      );
    }
    // A contact's five flips come back to back (milliseconds apart), far quicker than a retry
    // (200 ms): without the ordering rule a retried earlier flip would land after later ones.
    for (let start = 0; start < contacts; start += 50) {
      await Promise.all(
        people.slice(start, start + 50).map(async (person, offset) => {
          const n = start + offset;
          for (let flip = 0; flip < flips; flip++) {
            const subscribed = (n % 2 === 0) === (flip % 2 === 0);
            const input = {
              contactId: person.id,
              channel: 'email' as const,
              groupIds: [group.id],
              source: 'api',
            };
            await (subscribed ? subscriptions.unsubscribe(input) : subscriptions.subscribe(input));
          }
        }),
      );
    }
    const total = contacts * (1 + flips);
    await until(async () => {
      const stats = await store.deliveryStats();
      return stats.byStatus.succeeded === total && stats.undispatchedEvents === 0;
    }, 200);
    for (const worker of workers) worker.child.kill('SIGTERM');
    expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0, 0]);

    expect((await store.deliveryStats()).byStatus.failed).toBe(0);
    const wrong: string[] = [];
    for (let n = 0; n < contacts; n++) {
      const email = `c${n}@example.com`;
      const got = accepted.get(email) ?? [];
      // Even: subscribed, then 5 flips end unsubscribed; odd: the other way round.
      const final = n % 2 === 0 ? 'mailing group unsubscribe' : 'mailing group subscribe';
      const seqs = got.map((delivery) => delivery.seq);
      // Non-decreasing: at least once allows a repeat of the same delivery, never an older one.
      const ordered = seqs.every((seq, index) => index === 0 || seq >= (seqs[index - 1] ?? 0));
      if (got.at(-1)?.event !== final || !ordered || new Set(seqs).size !== 1 + flips)
        wrong.push(`${email}: ${got.map((delivery) => `${delivery.seq} ${delivery.event}`).join(', ')}`);
    }
    expect(wrong).toEqual([]);
    // The receiver really failed some attempts, and all three workers took part.
    expect(requests).toBeGreaterThan(total);
    const client = await testPostgresClient(context);
    const perWorker = await client.query(
      `SELECT split_part(worker, '#', 1) AS worker FROM "${database.schema}".attempt_log GROUP BY 1`,
    );
    expect(perWorker.rows).toHaveLength(3);
  },
  300_000,
);
