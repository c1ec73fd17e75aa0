/**
 * @module The dashboard's counts against what happened (migration 10's rollups). Deliveries are
 * claimed and completed in many batches over several hours — batches that straddle an hour, mixed
 * outcomes, retries that succeed later, a late result of a lost lease (not recorded), two stores
 * completing at once — while the test keeps its own record of every recorded attempt. The
 * per-hour counts by outcome (all endpoints and each one), the attempt count and p50/p99 per hour,
 * and the failure streak must equal that record. Run by each backend's test file.
 */
import { describe, expect, test, type TestContext } from 'vitest';
import { openStore } from './openStore.js';
import { outboxEvent } from './outboxEvent.js';
import type { StoreContractOptions } from './storeContract.js';
import type { ClaimedDelivery, CompleteAttemptInput, Store } from './types.js';
import { latencyBucket } from './verbs/statsRollups.js';

const hour = 3_600_000;
const minute = 60_000;
/** A UTC hour. */
const t0 = 1_700_006_400_000;
const secret = 'whsec_' + Buffer.alloc(24, 3).toString('base64');

/** A small deterministic pseudo-random sequence (a linear congruential generator), in [0, 1). */
function sequence(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

/** Nearest-rank quantile of ascending values. */
const nearestRank = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;

/** The test's own record of recorded attempts: counts by hour|endpoint|outcome and durations by hour. */
class Record {
  readonly outcomes = new Map<string, number>();
  readonly durations = new Map<number, number[]>();
  /** Per endpoint: attempts that were not a success since its last success (attempt order). */
  readonly streaks = new Map<number, number>();

  /** Records one attempt; call in attempt order. */
  add(result: CompleteAttemptInput, endpointId: number): void {
    this.streaks.set(
      endpointId,
      result.outcome === 'succeeded' ? 0 : (this.streaks.get(endpointId) ?? 0) + 1,
    );
    const hourStart = Math.floor(result.attempt.at / hour) * hour;
    const key = `${hourStart}|${endpointId}|${result.outcome}`;
    this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + 1);
    this.durations.set(hourStart, [...(this.durations.get(hourStart) ?? []), result.attempt.durationMs]);
  }

  /** Counts by `hour|status|retrying`, of one endpoint or all. */
  byHour(endpointId?: number): Map<string, number> {
    const out = new Map<string, number>();
    for (const [key, count] of this.outcomes) {
      const [hourStart, endpoint, outcome] = key.split('|');
      if (endpointId !== undefined && Number(endpoint) !== endpointId) continue;
      const rowKey = `${hourStart}|${outcome}|${outcome === 'pending'}`;
      out.set(rowKey, (out.get(rowKey) ?? 0) + count);
    }
    return out;
  }
}

/** Runs the stats rollups contract against one backend. */
export function runStatsRollupsContract(options: StoreContractOptions): void {
  describe.skipIf(options.skip ?? false)(`stats rollups contract: ${options.name}`, () => {
    const open = async (
      context: TestContext,
      database?: Awaited<ReturnType<typeof options.makeDatabase>>,
    ) => {
      const store = await openStore(database ?? (await options.makeDatabase(context)));
      context.onTestFinished(() => store.close());
      return store;
    };
    const asRows = async (store: Store, window: { from: number; to: number; endpointId?: number }) =>
      new Map(
        (await store.deliveriesByHour(window)).map((row) => [
          `${row.hour}|${row.status}|${row.retrying}`,
          row.count,
        ]),
      );

    test('the counts per hour, outcome and endpoint, latency and streak equal what was recorded', async (context) => {
      const store = await open(context);
      const all = await store.putEndpoint({ eventType: null, url: 'http://all.test/', secret, at: t0 });
      const sent = await store.putEndpoint({
        eventType: 'message sent',
        url: 'http://sent.test/',
        secret,
        at: t0,
      });
      await store.appendEvents(
        Array.from({ length: 60 }, (_, n) =>
          outboxEvent({ event: n % 3 === 0 ? 'message open' : 'message sent', n }),
        ),
        t0,
      );
      await store.fanOutPending(t0, 1_000);

      const random = sequence(7);
      const record = new Record();
      let lateResult: CompleteAttemptInput | undefined;
      // Five rounds 40 minutes apart (t0 + 0:10, 0:50, 1:30, 2:10, 2:50): rounds share hours and
      // each round's attempts run over several minutes, so some batches straddle an hour.
      for (let round = 0; round < 5; round += 1) {
        const now = t0 + 10 * minute + round * 40 * minute;
        const claimed = await store.claimDeliveries({ owner: `w${round}`, now, leaseMs: hour, limit: 1_000 });
        const results = claimed.map((delivery: ClaimedDelivery, n): CompleteAttemptInput => {
          const roll = random();
          // From the third round on, every attempt to `sent` fails (retried, then given up in the
          // last round): its failure run is open at the end.
          const outcome =
            round >= 2 && delivery.endpointId === sent.id
              ? round < 4
                ? 'pending'
                : 'failed'
              : roll < 0.5
                ? 'succeeded'
                : roll < 0.85 && round < 4
                  ? 'pending'
                  : 'failed';
          const at = now + n * 30_000;
          return {
            deliveryId: delivery.id,
            owner: delivery.leaseOwner ?? '',
            outcome,
            nextAttemptAt: outcome === 'pending' ? now + 30 * minute : null,
            at: at + 100,
            attempt: {
              at,
              status: outcome === 'succeeded' ? 204 : 503,
              durationMs: Math.floor(random() ** 3 * 5_000),
              error: null,
              responseExcerpt: '',
            },
          };
        });
        // Batches of 7, as the dispatcher completes what has finished.
        for (let start = 0; start < results.length; start += 7) {
          const batch = results.slice(start, start + 7);
          const applied = await store.completeAttempts(batch);
          expect(applied.every(Boolean)).toBe(true);
          for (const result of batch) {
            const delivery = claimed.find((item) => item.id === result.deliveryId) as ClaimedDelivery;
            record.add(result, delivery.endpointId);
          }
        }
        lateResult ??= results[0];
      }
      // A result from a lease already completed is dropped, and counted nowhere.
      expect(await store.completeAttempts([lateResult as CompleteAttemptInput])).toEqual([false]);

      const window = { from: t0 - hour, to: t0 + 6 * hour };
      expect(record.outcomes.size).toBeGreaterThanOrEqual(10);
      expect(await asRows(store, window)).toEqual(record.byHour());
      expect(await asRows(store, { ...window, endpointId: sent.id })).toEqual(record.byHour(sent.id));
      expect(await asRows(store, { ...window, endpointId: all.id })).toEqual(record.byHour(all.id));
      // A window of one hour holds that hour only.
      expect(await asRows(store, { from: t0 + hour, to: t0 + 2 * hour })).toEqual(
        new Map([...record.byHour()].filter(([key]) => key.startsWith(`${t0 + hour}|`))),
      );

      const latency = await store.attemptLatencyByHour(window);
      expect(latency.map((row) => row.hour)).toEqual([...record.durations.keys()].sort((a, b) => a - b));
      for (const row of latency) {
        const durations = [...(record.durations.get(row.hour) ?? [])].sort((a, b) => a - b);
        expect(row).toEqual({
          hour: row.hour,
          count: durations.length,
          // Buckets keep the order of durations, so the bucketed quantile is the quantile's bucket.
          p50Ms: latencyBucket(nearestRank(durations, 0.5)),
          p99Ms: latencyBucket(nearestRank(durations, 0.99)),
        });
      }

      const health = new Map((await store.endpointHealth()).map((endpoint) => [endpoint.id, endpoint]));
      expect(record.streaks.get(sent.id)).toBeGreaterThan(0);
      expect(health.get(sent.id)).toMatchObject({
        state: 'failing',
        failureStreak: record.streaks.get(sent.id),
      });
      expect(health.get(all.id)?.failureStreak).toBe(record.streaks.get(all.id));
      expect(await store.deliveriesByHour({ from: t0 + 10 * hour, to: t0 + 11 * hour })).toEqual([]);
    });

    test('the failure streak counts failed attempts since the run began; a success ends it', async (context) => {
      const store = await open(context);
      const endpoint = await store.putEndpoint({ eventType: null, url: 'http://e.test/', secret, at: t0 });
      await store.appendEvents(
        Array.from({ length: 6 }, (_, n) => outboxEvent({ event: 'message sent', n })),
        t0,
      );
      await store.fanOutPending(t0, 100);
      const claimed = await store.claimDeliveries({ owner: 'w', now: t0, leaseMs: hour, limit: 100 });
      const complete = (delivery: ClaimedDelivery | undefined, outcome: 'succeeded' | 'failed', at: number) =>
        store.completeAttempts([
          {
            deliveryId: delivery?.id ?? 0,
            owner: 'w',
            outcome,
            at,
            attempt: {
              at,
              status: outcome === 'failed' ? 500 : 204,
              durationMs: 5,
              error: null,
              responseExcerpt: '',
            },
          },
        ]);
      const streak = async () => (await store.endpointHealth())[0]?.failureStreak;
      await complete(claimed[0], 'failed', t0 + 1);
      await complete(claimed[1], 'failed', t0 + hour + 2); // the next hour: the run goes on
      expect(await streak()).toBe(2);
      await complete(claimed[2], 'succeeded', t0 + hour + 3);
      expect(await streak()).toBe(0);
      // One batch: a failure, a success, two failures: the run that is left began after the success.
      expect(
        await store.completeAttempts(
          [3, 4, 5].map((n, index) => ({
            deliveryId: claimed[n]?.id ?? 0,
            owner: 'w',
            outcome: index === 1 ? 'succeeded' : 'failed',
            at: t0 + 2 * hour + n,
            attempt: { at: t0 + 2 * hour + n, status: 500, durationMs: 5, error: null, responseExcerpt: '' },
          })),
        ),
      ).toEqual([true, true, true]);
      expect(await streak()).toBe(1);
      await store.enableEndpoint(endpoint.id, t0 + 3 * hour);
      expect(await streak()).toBe(0);
    });

    test('two stores completing at once on one database: both batches are counted', async (context) => {
      const database = await options.makeDatabase(context);
      const [first, second] = [await open(context, database), await open(context, database)];
      await first.putEndpoint({ eventType: null, url: 'http://e.test/', secret, at: t0 });
      await first.appendEvents(
        Array.from({ length: 200 }, (_, n) => outboxEvent({ event: 'message sent', n })),
        t0,
      );
      await first.fanOutPending(t0, 1_000);
      const claims = [
        await first.claimDeliveries({ owner: 'a', now: t0, leaseMs: hour, limit: 100 }),
        await second.claimDeliveries({ owner: 'b', now: t0, leaseMs: hour, limit: 100 }),
      ];
      const results = claims.map((claimed) =>
        claimed.map((delivery, n): CompleteAttemptInput => ({
          deliveryId: delivery.id,
          owner: delivery.leaseOwner ?? '',
          outcome: 'succeeded',
          at: t0 + 5 * minute,
          attempt: { at: t0 + 5 * minute, status: 204, durationMs: n % 40, error: null, responseExcerpt: '' },
        })),
      );
      // Ten small batches from each store, interleaved.
      await Promise.all(
        [first, second].flatMap((store, index) =>
          Array.from({ length: 10 }, (_, batch) =>
            store.completeAttempts((results[index] ?? []).slice(batch * 10, batch * 10 + 10)),
          ),
        ),
      );
      expect(await first.deliveriesByHour({ from: t0, to: t0 + hour })).toEqual([
        { hour: t0, status: 'succeeded', retrying: false, count: 200 },
      ]);
      expect(await second.attemptLatencyByHour({ from: t0, to: t0 + hour })).toEqual([
        { hour: t0, count: 200, p50Ms: 16, p99Ms: 39 },
      ]);
    });

    test('pruneStats removes the hours that ended before the cut-off, nothing else', async (context) => {
      const store = await open(context);
      await store.putEndpoint({ eventType: null, url: 'http://e.test/', secret, at: t0 });
      await store.appendEvents(
        Array.from({ length: 3 }, (_, n) => outboxEvent({ event: 'message sent', n })),
        t0,
      );
      await store.fanOutPending(t0, 100);
      const claimed = await store.claimDeliveries({ owner: 'w', now: t0, leaseMs: 10 * hour, limit: 100 });
      await store.completeAttempts(
        claimed.map((delivery, n) => ({
          deliveryId: delivery.id,
          owner: 'w',
          outcome: 'succeeded',
          at: t0 + n * hour,
          attempt: { at: t0 + n * hour, status: 204, durationMs: 5, error: null, responseExcerpt: '' },
        })),
      );
      const window = { from: t0, to: t0 + 3 * hour };
      expect(await store.pruneStats({ before: t0 + hour + 30 * minute })).toBe(2); // one row per table
      expect((await store.deliveriesByHour(window)).map((row) => row.hour)).toEqual([
        t0 + hour,
        t0 + 2 * hour,
      ]);
      expect((await store.attemptLatencyByHour(window)).map((row) => row.hour)).toEqual([
        t0 + hour,
        t0 + 2 * hour,
      ]);
    });
  });
}
