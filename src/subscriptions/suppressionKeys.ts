/**
 * @module The suppression list's keys: HMAC-SHA256, with an installation secret, of the channel
 * and the normalised address. The secret is generated once and kept in the store's settings, so
 * every process of an installation computes the same keys; a leaked suppression table without it
 * cannot be checked against a list of addresses.
 */
import { createHmac, randomBytes as nodeRandomBytes } from 'node:crypto';
import type { Channel, Store } from '../store/index.js';

/** The settings key of the installation secret (base64url, 32 random bytes). */
export const suppressionSecretKey = 'suppression.secret';

/**
 * The address as compared: an e-mail trimmed, Unicode-normalised (NFC) and lower-cased; a phone
 * reduced to its digits and a leading `+` (`+7 (912) 345-67-89` → `+79123456789`).
 */
export function normalizeAddress(channel: Channel, address: string): string {
  const trimmed = address.trim().normalize('NFC');
  if (channel === 'email') return trimmed.toLowerCase();
  const plus = trimmed.startsWith('+') ? '+' : '';
  return plus + trimmed.replace(/\D/g, '');
}

/** Computes suppression keys; `secret` is read (or created) once per process. */
export interface SuppressionKeys {
  /** The key function for an address on a channel (synchronous: runs inside store transactions). */
  keyFunction(): Promise<(channel: Channel, address: string) => string>;
}

/**
 * Suppression keys over a store's settings. `randomBytes` is injectable (tests); the secret is
 * created at first use. Two processes creating it in the same instant both write, and the later
 * write wins; each re-reads after writing, so both end with the stored one.
 */
export function createSuppressionKeys(
  store: Pick<Store, 'getSetting' | 'setSetting'>,
  options: { now: () => number; randomBytes?: (size: number) => Buffer },
): SuppressionKeys {
  const random = options.randomBytes ?? nodeRandomBytes;
  let secret: Promise<Buffer> | undefined;
  const load = async (): Promise<Buffer> => {
    let stored = await store.getSetting(suppressionSecretKey);
    if (typeof stored !== 'string') {
      await store.setSetting(suppressionSecretKey, random(32).toString('base64url'), options.now());
      stored = await store.getSetting(suppressionSecretKey);
    }
    return Buffer.from(String(stored), 'base64url');
  };
  return {
    async keyFunction() {
      secret ??= load().catch((error: unknown) => {
        secret = undefined;
        throw error;
      });
      const key = await secret;
      return (channel, address) =>
        createHmac('sha256', key)
          .update(`${channel}:${normalizeAddress(channel, address)}`)
          .digest('base64url');
    },
  };
}
