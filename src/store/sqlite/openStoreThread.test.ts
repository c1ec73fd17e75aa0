/**
 * @module The dispatcher's verbs on their own thread: results and errors cross intact, stores on
 * one file share the thread, close stops it, and a dead thread fails calls as `unavailable`.
 */
import fs from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { expect, test } from 'vitest';
import { sqliteTestDatabase } from '../../../test/support/databases.js';
import { openStore } from '../openStore.js';
import { outboxEvent } from '../outboxEvent.js';
import { StoreError } from '../storeError.js';
import { deserializeError, openStoreThread, serializeError, startThread } from './openStoreThread.js';

const secret = 'whsec_' + Buffer.alloc(24, 7).toString('base64');

test('thread: fan-out, claim and completion run there and agree with the main connection', async (context) => {
  const { sqlitePath } = await sqliteTestDatabase(context);
  const store = await openStore({ sqlitePath, thread: true });
  context.onTestFinished(() => store.close());
  const endpoint = await store.putEndpoint({ eventType: null, url: 'http://a.test/', secret, at: 1 });
  await store.appendEvents(
    [outboxEvent({ event: 'message sent', n: 1 }), outboxEvent({ event: 'message sent', n: 2 })],
    1,
  );
  const fanned = await store.fanOutPending(2, 100, {
    owner: 'w#1',
    leaseMs: 1000,
    limit: 1,
    inFlight: new Map(),
  });
  expect(fanned).toMatchObject({ events: 1, deliveries: 1 });
  const [leased] = fanned.claimed ?? [];
  expect(leased).toMatchObject({ endpointId: endpoint.id, leaseOwner: 'w#1', url: 'http://a.test/' });
  // The main connection sees what the thread committed.
  expect((await store.getDelivery(leased?.id ?? 0))?.status).toBe('delivering');
  expect(
    await store.completeAttempts([
      {
        deliveryId: leased?.id ?? 0,
        owner: 'w#1',
        outcome: 'succeeded',
        at: 3,
        attempt: { at: 2, status: 204, durationMs: 1, error: null, responseExcerpt: '' },
      },
    ]),
  ).toEqual([true]);
  expect((await store.getDelivery(leased?.id ?? 0))?.attemptLog).toHaveLength(1);
  // A second store on the file shares the thread; closing one leaves the other working.
  const other = await openStore({ sqlitePath, thread: true });
  await other.close();
  expect((await store.fanOutPending(4, 100)).events).toBe(1);
  expect(await store.releaseDeliveries([], 'w#1', 5)).toBe(0);
});

test('thread: a bad argument fails the call with a clear error and the thread goes on', async (context) => {
  const { sqlitePath } = await sqliteTestDatabase(context);
  const store = await openStore({ sqlitePath, thread: true });
  context.onTestFinished(() => store.close());
  // A function cannot cross to the thread: refused before anything is sent.
  await expect(
    store.claimDeliveries({ owner: 'w', now: 1, leaseMs: 1, limit: 1, inFlight: (() => 1) as never }),
  ).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringContaining('claimDeliveries') });
  expect(await store.claimDeliveries({ owner: 'w', now: 1, leaseMs: 1, limit: 1 })).toEqual([]);
});

test('thread: errors keep their code and field across the thread', () => {
  const storeError = deserializeError(
    serializeError(new StoreError('endpoint_not_found', 'no endpoint 7', { field: 'endpointId' })),
  );
  expect(storeError).toBeInstanceOf(StoreError);
  expect(storeError).toMatchObject({
    code: 'endpoint_not_found',
    field: 'endpointId',
    message: 'no endpoint 7',
  });
  const plain = deserializeError(
    serializeError(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' })),
  );
  expect(plain).not.toBeInstanceOf(StoreError);
  expect(plain).toMatchObject({ message: 'disk I/O error', code: 'SQLITE_IOERR' });
});

test('thread: after close, calls fail as unavailable instead of hanging', async (context) => {
  const { sqlitePath } = await sqliteTestDatabase(context);
  const store = await openStore({ sqlitePath, thread: true });
  const claim = store.claimDeliveries;
  await store.close();
  await expect(claim({ owner: 'w', now: 1, leaseMs: 1, limit: 1 })).rejects.toMatchObject({
    code: 'unavailable',
  });
});

test('thread: one that dies fails its calls as unavailable, and the next call starts a new one', async (context) => {
  const { sqlitePath = '' } = await sqliteTestDatabase(context);
  const store = await openStore({ sqlitePath }); // runs the migrations
  context.onTestFinished(() => store.close());
  const workers: Worker[] = [];
  const thread = await openStoreThread(sqlitePath, (data) => {
    const worker = startThread(data);
    workers.push(worker);
    return worker;
  });
  context.onTestFinished(() => thread.close());
  await store.putEndpoint({ eventType: null, url: 'http://a.test/', secret, at: 1 });
  await store.appendEvents([outboxEvent({ event: 'message sent', n: 1 })], 1);
  expect(await thread.releaseDeliveries([], 'w', 1)).toBe(0);
  // The thread dies (as on a crash) with a call in flight.
  const inFlight = thread.claimDeliveries({ owner: 'w', now: 2, leaseMs: 1000, limit: 10 });
  await workers[0]?.terminate();
  await expect(inFlight).rejects.toMatchObject({ code: 'unavailable' });
  // The next call runs on a new thread, on the same database.
  const fanned = await thread.fanOutPending(3, 10, { owner: 'w#2', leaseMs: 1000, limit: 10 });
  expect(fanned).toMatchObject({ events: 1, deliveries: 1 });
  expect(fanned.claimed?.[0]).toMatchObject({ leaseOwner: 'w#2' });
  expect(workers).toHaveLength(2);
});

test('thread: a checkpoint thread copies the WAL into the database file while the store is open', async (context) => {
  const { sqlitePath = '' } = await sqliteTestDatabase(context);
  const store = await openStore({ sqlitePath, thread: true });
  context.onTestFinished(() => store.close());
  const before = fs.statSync(sqlitePath).size;
  await store.putEndpoint({ eventType: null, url: 'http://a.test/', secret, at: 1 });
  await store.appendEvents(
    Array.from({ length: 500 }, (_, n) => outboxEvent({ event: 'message sent', n })),
    1,
  );
  while ((await store.fanOutPending(2, 100)).events > 0);
  // Far below SQLite's own 1,000-page threshold: only the checkpoint thread grows the file.
  const walPages = fs.statSync(`${sqlitePath}-wal`).size / 4096;
  expect(walPages).toBeLessThan(1_000);
  while (fs.statSync(sqlitePath).size <= before) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(fs.statSync(sqlitePath).size).toBeGreaterThan(before);
});
