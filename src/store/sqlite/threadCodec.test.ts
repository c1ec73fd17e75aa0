/** @module The compact forms of the store thread's hot payloads give back exactly what went in. */
import v8 from 'node:v8';
import { expect, test } from 'vitest';
import type { ClaimedDelivery, CompleteAttemptInput } from '../types.js';
import {
  packArgs,
  packResult,
  unpackArgs,
  unpackClaims,
  unpackResult,
  unpackResults,
  packClaims,
  packResults,
} from './threadCodec.js';

/** Through structured clone, as `postMessage` sends it. */
const cloned = <T>(value: T): T => v8.deserialize(v8.serialize(value)) as T;

const secrets = [
  { secret: 'whsec_' + Buffer.alloc(24, 1).toString('base64'), createdAt: 1, expiresAt: null },
  { secret: 'whsec_' + Buffer.alloc(24, 2).toString('base64'), createdAt: 0, expiresAt: 99 },
];

function delivery(id: number, endpointId: number, extra: Partial<ClaimedDelivery> = {}): ClaimedDelivery {
  return {
    id,
    eventId: id * 10,
    eventType: endpointId === 1 ? 'message sent' : 'mailing group unsubscribe',
    endpointId,
    webhookId: `msg_${id}`,
    status: 'delivering',
    attempts: id % 3,
    nextAttemptAt: 1000 + id,
    leaseOwner: 'host:1:ab#1',
    leaseExpiresAt: 2000,
    orderingKey: endpointId === 1 ? null : 7_000 + id,
    lastStatus: id % 2 === 0 ? null : 503,
    lastError: id % 2 === 0 ? 'timeout' : null,
    createdAt: 900,
    updatedAt: 950,
    body: JSON.stringify({ event: 'message sent', n: id, text: 'Привет, "мир"' }),
    eventAt: 800 + id,
    url: `http://e${endpointId}.test/hook`,
    secrets: endpointId === 1 ? secrets : [],
    endpointFirstFailureAt: endpointId === 1 ? null : 123,
    ...extra,
  };
}

test('claimed deliveries: every field survives, endpoints written once', () => {
  const claimed = [delivery(1, 1), delivery(2, 2), delivery(3, 1), delivery(4, 2, { leaseOwner: null })];
  const packed = cloned(packClaims(claimed));
  expect(packed.endpoints).toHaveLength(2);
  expect(unpackClaims(packed)).toEqual(claimed);
  expect(unpackClaims(cloned(packClaims([])))).toEqual([]);
});

test('attempt records: every outcome survives', () => {
  const results: CompleteAttemptInput[] = [
    {
      deliveryId: 1,
      owner: 'w#1',
      outcome: 'succeeded',
      at: 5,
      nextAttemptAt: null,
      attempt: { at: 4, status: 204, durationMs: 1, error: null, responseExcerpt: '' },
    },
    {
      deliveryId: 2,
      owner: 'w#2',
      outcome: 'pending',
      at: 6,
      nextAttemptAt: 60,
      attempt: { at: 4, status: null, durationMs: 15000, error: 'timeout: no response', responseExcerpt: '' },
    },
    {
      deliveryId: 3,
      owner: 'w#1',
      outcome: 'failed',
      at: 7,
      nextAttemptAt: null,
      disableEndpoint: 'gone',
      attempt: { at: 4, status: 410, durationMs: 3, error: null, responseExcerpt: 'Gone — ушёл' },
    },
  ];
  expect(unpackResults(cloned(packResults(results)))).toEqual(results);
});

test('only the hot verbs are packed; the others pass through', () => {
  const claimed = [delivery(1, 1)];
  expect(unpackResult('claimDeliveries', cloned(packResult('claimDeliveries', claimed)))).toEqual(claimed);
  const fanOut = { events: 3, deliveries: 2, claimed };
  expect(unpackResult('fanOutPending', cloned(packResult('fanOutPending', fanOut)))).toEqual(fanOut);
  expect(unpackResult('fanOutPending', packResult('fanOutPending', { events: 1, deliveries: 1 }))).toEqual({
    events: 1,
    deliveries: 1,
  });
  expect(unpackArgs('releaseDeliveries', packArgs('releaseDeliveries', [[1], 'w', 3]))).toEqual([
    [1],
    'w',
    3,
  ]);
  expect(unpackResult('releaseDeliveries', packResult('releaseDeliveries', 2))).toBe(2);
});
