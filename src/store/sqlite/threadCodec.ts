/**
 * @module Compact forms of the dispatcher's hot payloads for the trip to and from the store thread.
 * Structured clone writes every property name of every object; a batch of 64 attempt records or
 * claimed deliveries is mostly names. Here a batch is one flat array of values (repeated strings
 * — the lease owner, the event type — and the endpoint's URL and secrets once each), which costs
 * about a third to clone and decode. Only `openStoreThread` and its thread use these.
 */
import type { ClaimedDelivery, CompleteAttemptInput, FanOutResult, WebhookSecret } from '../types.js';

/** Repeated strings, each written once: index → string. */
function dictionary(): { index(value: string): number; strings: string[] } {
  const indexes = new Map<string, number>();
  const strings: string[] = [];
  return {
    strings,
    index(value) {
      let index = indexes.get(value);
      if (index === undefined) {
        index = strings.length;
        strings.push(value);
        indexes.set(value, index);
      }
      return index;
    },
  };
}

type Value = string | number | null;

/** Attempt records, compact. */
export interface PackedResults {
  strings: string[];
  /** `resultFields` values per record. */
  rows: Value[];
}

const resultFields = 11;

export function packResults(results: readonly CompleteAttemptInput[]): PackedResults {
  const dict = dictionary();
  const rows: Value[] = [];
  for (const result of results) {
    rows.push(
      result.deliveryId,
      dict.index(result.owner),
      result.attempt.at,
      result.attempt.status,
      result.attempt.durationMs,
      result.attempt.error,
      result.attempt.responseExcerpt,
      dict.index(result.outcome),
      result.nextAttemptAt ?? null,
      result.at,
      result.disableEndpoint ?? null,
    );
  }
  return { strings: dict.strings, rows };
}

export function unpackResults({ strings, rows }: PackedResults): CompleteAttemptInput[] {
  const results: CompleteAttemptInput[] = [];
  for (let i = 0; i < rows.length; i += resultFields) {
    const result: CompleteAttemptInput = {
      deliveryId: rows[i] as number,
      owner: strings[rows[i + 1] as number] as string,
      attempt: {
        at: rows[i + 2] as number,
        status: rows[i + 3] as number | null,
        durationMs: rows[i + 4] as number,
        error: rows[i + 5] as string | null,
        responseExcerpt: rows[i + 6] as string,
      },
      outcome: strings[rows[i + 7] as number] as CompleteAttemptInput['outcome'],
      nextAttemptAt: rows[i + 8] as number | null,
      at: rows[i + 9] as number,
    };
    const disable = rows[i + 10];
    if (disable !== null) result.disableEndpoint = disable as string;
    results.push(result);
  }
  return results;
}

/** Claimed deliveries, compact: the endpoint's URL, secrets and failure run once per endpoint. */
export interface PackedClaims {
  strings: string[];
  endpoints: [number, string, WebhookSecret[], number | null][];
  /** `claimFields` values per delivery. */
  rows: Value[];
}

const claimFields = 16;

export function packClaims(claimed: readonly ClaimedDelivery[]): PackedClaims {
  const dict = dictionary();
  const endpoints = new Map<number, [number, string, WebhookSecret[], number | null]>();
  const rows: Value[] = [];
  for (const d of claimed) {
    if (!endpoints.has(d.endpointId))
      endpoints.set(d.endpointId, [d.endpointId, d.url, d.secrets, d.endpointFirstFailureAt]);
    rows.push(
      d.id,
      d.eventId,
      dict.index(d.eventType),
      d.endpointId,
      d.webhookId,
      d.attempts,
      d.nextAttemptAt,
      d.leaseOwner === null ? null : dict.index(d.leaseOwner),
      d.leaseExpiresAt,
      d.lastStatus,
      d.lastError,
      d.createdAt,
      d.updatedAt,
      d.body,
      d.orderingKey,
      d.eventAt,
    );
  }
  return { strings: dict.strings, endpoints: [...endpoints.values()], rows };
}

export function unpackClaims({ strings, endpoints, rows }: PackedClaims): ClaimedDelivery[] {
  const byId = new Map(endpoints.map((endpoint) => [endpoint[0], endpoint]));
  const claimed: ClaimedDelivery[] = [];
  for (let i = 0; i < rows.length; i += claimFields) {
    const endpointId = rows[i + 3] as number;
    const endpoint = byId.get(endpointId);
    const owner = rows[i + 7];
    claimed.push({
      id: rows[i] as number,
      eventId: rows[i + 1] as number,
      eventType: strings[rows[i + 2] as number] as string,
      endpointId,
      webhookId: rows[i + 4] as string,
      status: 'delivering',
      attempts: rows[i + 5] as number,
      nextAttemptAt: rows[i + 6] as number | null,
      leaseOwner: owner === null ? null : (strings[owner as number] as string),
      leaseExpiresAt: rows[i + 8] as number | null,
      lastStatus: rows[i + 9] as number | null,
      lastError: rows[i + 10] as string | null,
      createdAt: rows[i + 11] as number,
      updatedAt: rows[i + 12] as number,
      orderingKey: rows[i + 14] as number | null,
      body: rows[i + 13] as string,
      eventAt: rows[i + 15] as number,
      url: endpoint?.[1] ?? '',
      secrets: endpoint?.[2] ?? [],
      endpointFirstFailureAt: endpoint?.[3] ?? null,
    });
  }
  return claimed;
}

/** Arguments as they cross to the thread (main side). */
export function packArgs(method: string, args: unknown[]): unknown[] {
  if (method === 'completeAttempts') return [packResults(args[0] as CompleteAttemptInput[])];
  return args;
}

/** Arguments as the verb takes them (thread side). */
export function unpackArgs(method: string, args: unknown[]): unknown[] {
  if (method === 'completeAttempts') return [unpackResults(args[0] as PackedResults)];
  return args;
}

/** A verb's result as it crosses back (thread side). */
export function packResult(method: string, value: unknown): unknown {
  if (method === 'claimDeliveries') return packClaims(value as ClaimedDelivery[]);
  if (method === 'fanOutPending') {
    const result = value as FanOutResult;
    return result.claimed ? { ...result, claimed: packClaims(result.claimed) } : result;
  }
  return value;
}

/** The result as the caller expects it (main side). */
export function unpackResult(method: string, value: unknown): unknown {
  if (method === 'claimDeliveries') return unpackClaims(value as PackedClaims);
  if (method === 'fanOutPending') {
    const result = value as Omit<FanOutResult, 'claimed'> & { claimed?: PackedClaims };
    return result.claimed ? { ...result, claimed: unpackClaims(result.claimed) } : result;
  }
  return value;
}
