/**
 * @module Turns an event payload into the outbox form: its type plus the exact JSON text to send.
 */
import type { NewOutboxEvent } from './types.js';

/**
 * `{ type: payload.event, body: JSON.stringify(payload) }` — the body is serialised once, here.
 * `orderingKey`: the contact whose subscriptions the event changes (its deliveries go out in order).
 */
export function outboxEvent(
  payload: { event: string } & Record<string, unknown>,
  options: { orderingKey?: number } = {},
): NewOutboxEvent {
  const event: NewOutboxEvent = { type: payload.event, body: JSON.stringify(payload) };
  if (options.orderingKey !== undefined) event.orderingKey = options.orderingKey;
  return event;
}
