/** @module Unit tests of the dispatcher's local queue: caps overall and per endpoint, round-robin. */
import { expect, test } from 'vitest';
import type { ClaimedDelivery } from '../store/index.js';
import { createDeliveryQueue } from './createDeliveryQueue.js';

const delivery = (id: number, endpointId: number) => ({ id, endpointId }) as ClaimedDelivery;

test('one endpoint never takes more than its cap; endpoints take turns for free slots', async () => {
  const started: number[] = [];
  const finish = new Map<number, () => void>();
  const queue = createDeliveryQueue({
    concurrency: 3,
    perEndpoint: 2,
    run: (d) =>
      new Promise<void>((resolve) => {
        started.push(d.id);
        finish.set(d.id, resolve);
      }),
  });
  // Endpoint 1 has a backlog of five; endpoint 2 has two.
  queue.add([1, 2, 3, 4, 5].map((id) => delivery(id, 1)));
  queue.add([delivery(21, 2), delivery(22, 2)]);
  expect(started).toEqual([1, 2, 21]);
  expect(queue.inFlight).toBe(3);
  expect(queue.heldTotal).toBe(7);
  expect(queue.held.get(1)).toBe(5);
  // A slot frees: endpoint 1 (served least recently) gets it; endpoint 1 is then at its cap, so
  // the next free slot goes to endpoint 2 although endpoint 1 has the longer backlog.
  finish.get(1)?.();
  await new Promise((resolve) => setImmediate(resolve));
  expect(started).toEqual([1, 2, 21, 3]);
  finish.get(21)?.();
  await new Promise((resolve) => setImmediate(resolve));
  expect(started).toEqual([1, 2, 21, 3, 22]);
  for (const id of [2, 3, 22, 4, 5]) {
    finish.get(id)?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await queue.idle();
  expect(started.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 21, 22]);
  expect(queue.heldTotal).toBe(0);
  expect(queue.held.size).toBe(0);
});
