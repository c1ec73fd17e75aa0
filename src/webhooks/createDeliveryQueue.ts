/**
 * @module The dispatcher's local queue of claimed deliveries: per-endpoint FIFO queues started
 * round-robin under two caps — attempts in flight overall, and per endpoint — so one slow or dead
 * endpoint can hold at most its own share of the slots while the others keep flowing.
 *
 * Claims fetch up to several rounds of the caps (the dispatcher's `holdRounds`): the extra ones
 * wait here and start the moment a slot frees, without a store round trip in between. Their wait
 * is bounded by that many attempts' deadlines, which the lease (rounds × deadline plus a margin)
 * allows for.
 */
import type { ClaimedDelivery } from '../store/index.js';

/** Options of {@link createDeliveryQueue}. */
export interface DeliveryQueueOptions {
  /** Most attempts in flight overall. */
  concurrency: number;
  /** Most attempts in flight per endpoint. */
  perEndpoint: number;
  /** Makes one attempt; must not reject. */
  run(delivery: ClaimedDelivery): Promise<void>;
  /** Called after each attempt settles (a slot is free). */
  onSettled?(delivery: ClaimedDelivery): void;
}

/** Claimed deliveries waiting or in flight. */
export interface DeliveryQueue {
  /** Queues claimed deliveries and starts what the caps allow. */
  add(deliveries: readonly ClaimedDelivery[]): void;
  /** Deliveries held (waiting + in flight) per endpoint id: what the next claim must not exceed. */
  readonly held: ReadonlyMap<number, number>;
  /** Deliveries held in total. */
  readonly heldTotal: number;
  /** Attempts in flight. */
  readonly inFlight: number;
  /** Resolves once nothing is held (every queued delivery attempted). */
  idle(): Promise<void>;
}

/** Creates an empty queue. */
export function createDeliveryQueue(options: DeliveryQueueOptions): DeliveryQueue {
  const waiting = new Map<number, ClaimedDelivery[]>();
  const running = new Map<number, number>();
  const held = new Map<number, number>();
  const tasks = new Set<Promise<void>>();
  let heldTotal = 0;
  let inFlight = 0;

  const bump = (map: Map<number, number>, key: number, by: number) => {
    const value = (map.get(key) ?? 0) + by;
    if (value > 0) map.set(key, value);
    else map.delete(key);
  };

  function start(delivery: ClaimedDelivery): void {
    inFlight += 1;
    bump(running, delivery.endpointId, 1);
    const task = options.run(delivery).finally(() => {
      inFlight -= 1;
      heldTotal -= 1;
      bump(running, delivery.endpointId, -1);
      bump(held, delivery.endpointId, -1);
      tasks.delete(task);
      pump();
      options.onSettled?.(delivery);
    });
    tasks.add(task);
  }

  /** Starts one delivery per endpoint per pass (round-robin) until a cap or the queues stop it. */
  function pump(): void {
    let progress = true;
    while (progress && inFlight < options.concurrency) {
      progress = false;
      for (const [endpointId, queue] of waiting) {
        if (inFlight >= options.concurrency) break;
        if ((running.get(endpointId) ?? 0) >= options.perEndpoint) continue;
        const next = queue.shift();
        if (!next) continue;
        // Move this endpoint to the back: the next free slot goes to another endpoint first.
        waiting.delete(endpointId);
        if (queue.length > 0) waiting.set(endpointId, queue);
        start(next);
        progress = true;
      }
    }
  }

  return {
    add(deliveries) {
      for (const delivery of deliveries) {
        const queue = waiting.get(delivery.endpointId) ?? [];
        queue.push(delivery);
        waiting.set(delivery.endpointId, queue);
        bump(held, delivery.endpointId, 1);
        heldTotal += 1;
      }
      pump();
    },
    held,
    get heldTotal() {
      return heldTotal;
    },
    get inFlight() {
      return inFlight;
    },
    async idle() {
      while (tasks.size > 0) await Promise.allSettled([...tasks]);
    },
  };
}
