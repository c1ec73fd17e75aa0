/**
 * @module The console's session-signing key: random, created once and kept in the store's settings,
 * so every `unsub serve` process sharing a database accepts the same sessions and a restart does not
 * sign everyone out.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/index.js';

/** The setting holding the key (base64url of 32 random bytes). */
export const sessionKeySettingKey = 'console.session_key';

/**
 * Returns the stored session key, creating it on first use. Two processes racing on a fresh
 * database may both write; both then read back the one that was written last, so sessions agree
 * from then on (a session issued in that instant may need one more sign-in).
 */
export async function resolveSessionKey(store: Store, now: () => number): Promise<Uint8Array> {
  const stored = await store.getSetting(sessionKeySettingKey);
  if (typeof stored === 'string' && stored.length >= 43) return Buffer.from(stored, 'base64url');
  await store.setSetting(sessionKeySettingKey, randomBytes(32).toString('base64url'), now());
  const written = await store.getSetting(sessionKeySettingKey);
  return Buffer.from(String(written), 'base64url');
}
