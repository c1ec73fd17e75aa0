/** @module New `webhook-id`s for deliveries (both ways of fanning out create them). */
import { randomBytes } from 'node:crypto';

/**
 * `count` new `webhook-id`s: `msg_` + 128 random bits each, base64url (printable, no spaces or
 * commas). One call to the random source for the whole fan-out batch.
 */
export function newWebhookIds(count: number): string[] {
  const bytes = randomBytes(16 * count);
  return Array.from({ length: count }, (_, i) => `msg_${bytes.toString('base64url', 16 * i, 16 * i + 16)}`);
}
