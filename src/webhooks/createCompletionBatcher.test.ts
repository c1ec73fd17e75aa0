/** @module Unit tests of the completion batcher: group commit, retry after a failure, fencing. */
import { expect, test } from 'vitest';
import type { CompleteAttemptInput } from '../store/index.js';
import { createCompletionBatcher } from './createCompletionBatcher.js';

const input = (deliveryId: number): CompleteAttemptInput => ({
  deliveryId,
  owner: 'w',
  outcome: 'succeeded',
  at: 1,
  attempt: { at: 1, status: 204, durationMs: 1, error: null, responseExcerpt: '' },
});

test('results arriving during a commit go together in the next one', async () => {
  const batches: number[][] = [];
  let release: () => void = () => undefined;
  const batcher = createCompletionBatcher({
    async complete(batch) {
      batches.push(batch.map((item) => item.deliveryId));
      // Hold the first commit until the others are queued.
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return batch.map((item) => item.deliveryId !== 3);
    },
  });
  const first = batcher.add(input(1));
  const rest = [2, 3, 4].map((id) => batcher.add(input(id)));
  expect(batcher.size).toBe(4);
  release();
  expect(await first).toBe(true);
  expect(await Promise.all(rest)).toEqual([true, false, true]);
  expect(batches).toEqual([[1], [2, 3, 4]]);
  expect(batcher.size).toBe(0);
});

test('a failed commit is retried; drain can give up (the leases then expire)', async () => {
  let calls = 0;
  const errors: unknown[] = [];
  const batcher = createCompletionBatcher({
    retryDelayMs: 1,
    async complete(batch) {
      calls += 1;
      if (calls < 3) throw new Error('database restarting');
      return batch.map(() => true);
    },
    onError: (error) => errors.push(error),
  });
  expect(await batcher.add(input(1))).toBe(true);
  expect(calls).toBe(3);
  expect(errors).toHaveLength(2);

  const broken = createCompletionBatcher({
    retryDelayMs: 1,
    complete: () => Promise.reject(new Error('gone')),
  });
  const result = broken.add(input(2));
  await broken.drain({ giveUpAfter: 2 });
  expect(await result).toBe(false);
});

test('a linger ends as soon as lingerBatch results wait, and drain ends it too', async () => {
  const batches: number[][] = [];
  const batcher = createCompletionBatcher({
    lingerMs: 60_000,
    lingerBatch: 2,
    async complete(batch) {
      batches.push(batch.map((item) => item.deliveryId));
      return batch.map(() => true);
    },
  });
  expect(await Promise.all([batcher.add(input(1)), batcher.add(input(2))])).toEqual([true, true]);
  const third = batcher.add(input(3));
  await batcher.drain();
  expect(await third).toBe(true);
  expect(batches).toEqual([[1, 2], [3]]);
});

test('hurry ends a linger at once; push queues without a promise', async () => {
  const batches: number[][] = [];
  const batcher = createCompletionBatcher({
    lingerMs: 60_000,
    async complete(batch) {
      batches.push(batch.map((item) => item.deliveryId));
      return batch.map(() => true);
    },
  });
  batcher.push(input(1));
  const second = batcher.add(input(2));
  expect(batches).toEqual([]);
  batcher.hurry();
  expect(await second).toBe(true);
  expect(batches).toEqual([[1, 2]]);
});

test('a result queued while a flush is finishing is committed without another add', async () => {
  // Queue the second result a few microtask hops after the first commit returns: some hop lands
  // in the moment between the flush loop ending and the flush being marked done.
  for (let hops = 0; hops < 12; hops += 1) {
    const batches: number[][] = [];
    const batcher: ReturnType<typeof createCompletionBatcher> = createCompletionBatcher({
      async complete(batch) {
        batches.push(batch.map((item) => item.deliveryId));
        if (batches.length === 1) {
          let later = Promise.resolve();
          for (let hop = 0; hop < hops; hop += 1) later = later.then(() => undefined);
          void later.then(() => batcher.push(input(2)));
        }
        return batch.map(() => true);
      },
    });
    await batcher.add(input(1));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(batches.flat(), `pushed after ${hops} hops`).toEqual([1, 2]);
  }
});

test('results finishing during a commit wait for company too, not only the first batch', async () => {
  const batches: number[][] = [];
  let release: () => void = () => undefined;
  const batcher = createCompletionBatcher({
    lingerMs: 60_000,
    lingerBatch: 2,
    async complete(batch) {
      batches.push(batch.map((item) => item.deliveryId));
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return batch.map(() => true);
    },
  });
  batcher.push(input(1));
  batcher.push(input(2)); // a full lingerBatch: committed at once
  await new Promise((resolve) => setTimeout(resolve, 0));
  expect(batches).toEqual([[1, 2]]); // that commit is under way
  batcher.push(input(3)); // arrives during that commit
  release();
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(batches).toEqual([[1, 2]]); // 3 waits for company
  batcher.push(input(4));
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(batches).toEqual([
    [1, 2],
    [3, 4],
  ]);
});
