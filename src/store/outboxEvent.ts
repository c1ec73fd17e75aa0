/**
 * @module Turns an event payload into the outbox form: its type plus the exact JSON text to send.
 */
import type { NewOutboxEvent } from './types.js';

/** `{ type: payload.event, body: JSON.stringify(payload) }` — the body is serialised once, here. */
export function outboxEvent(payload: { event: string } & Record<string, unknown>): NewOutboxEvent {
  return { type: payload.event, body: JSON.stringify(payload) };
}
