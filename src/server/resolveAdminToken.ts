/**
 * @module The admin token of `unsub serve`: `UNSUB_ADMIN_TOKEN` when set; otherwise one generated on
 * the first start, printed ONCE, and kept only as its SHA-256 in the store's settings, so later
 * starts (and other instances sharing a PostgreSQL database) accept the same token.
 */
import { randomBytes } from 'node:crypto';
import { adminTokenVerifier, hashAdminToken, type AdminTokenVerifier } from '../http/admin/index.js';
import type { Store } from '../store/index.js';

/** The setting holding the hex SHA-256 of a generated admin token. */
export const adminTokenSettingKey = 'admin.token_sha256';

/** How the admin token was found. */
export interface ResolvedAdminToken {
  verify: AdminTokenVerifier;
  /** `env`: UNSUB_ADMIN_TOKEN; `stored`: a hash from an earlier start; `created`: new, in `token`. */
  origin: 'env' | 'stored' | 'created';
  /** The plaintext of a token created now (show it once); never set otherwise. */
  token?: string;
}

/**
 * Finds or creates the admin token.
 * @param configured UNSUB_ADMIN_TOKEN, when set.
 */
export async function resolveAdminToken(
  store: Pick<Store, 'getSetting' | 'setSetting'>,
  configured: string | undefined,
  now: () => number,
): Promise<ResolvedAdminToken> {
  if (configured !== undefined) return { verify: adminTokenVerifier({ token: configured }), origin: 'env' };
  const stored = await store.getSetting(adminTokenSettingKey);
  if (typeof stored === 'string' && /^[0-9a-f]{64}$/.test(stored)) {
    return { verify: adminTokenVerifier({ sha256: stored }), origin: 'stored' };
  }
  // 32 random bytes as base64url (no quoting needed in a shell or header) behind a fixed prefix, so
  // secret scanners can spot a leaked token and it never starts with "-" like a command-line option.
  const token = `unsub_${randomBytes(32).toString('base64url')}`;
  const sha256 = hashAdminToken(token);
  await store.setSetting(adminTokenSettingKey, sha256, now());
  // Two instances starting at once on one fresh PostgreSQL database both write; the last write
  // wins. Read back so a loser does not print a token that will not work.
  const winner = await store.getSetting(adminTokenSettingKey);
  if (winner !== sha256 && typeof winner === 'string' && /^[0-9a-f]{64}$/.test(winner)) {
    return { verify: adminTokenVerifier({ sha256: winner }), origin: 'stored' };
  }
  return { verify: adminTokenVerifier({ sha256 }), origin: 'created', token };
}
