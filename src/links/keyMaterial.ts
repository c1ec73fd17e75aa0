/**
 * @module One signing key: its JWK form in the key file and its ready-to-use form in memory, with
 * the per-key pieces (base64url header segment, secret Buffer or Ed25519 KeyObjects) computed once
 * so that signing a link is little more than JSON.stringify + base64url + one HMAC.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { decodeBase64url } from './base64url.js';
import type { KeyAlg, KeyStatus } from './types.js';

/** Bytes of a new HS256 secret (RFC 7518 wants at least the hash size). */
export const secretBytes = 32;

/** A key as stored in the JWK Set file (`unsub_*` are our private JWK parameters). */
export interface StoredJwk {
  kty: 'oct' | 'OKP';
  k?: string;
  crv?: 'Ed25519';
  x?: string;
  d?: string;
  kid: string;
  alg: KeyAlg;
  use: 'sig';
  unsub_status: KeyStatus;
  unsub_created: string;
}

interface KeyEntryBase {
  kid: string;
  status: KeyStatus;
  /** ISO 8601 creation time, as stored. */
  created: string;
  createdMs: number;
  /** base64url of the protected header `{"alg":…,"kid":…}`. */
  headerSegment: string;
  /** The key index byte of compact links (`compactKeyIndex(kid)`). */
  compactIndex: number;
  /** HMAC key of compact links, derived from the key material (`compactMacKey`). */
  compactKey: Buffer;
}

/** A key ready for signing and verifying. */
export type KeyEntry = KeyEntryBase &
  (
    | { alg: 'HS256'; secret: Buffer }
    | { alg: 'EdDSA'; privateKey: KeyObject; publicKey: KeyObject; x: string; d: string }
  );

const kidPattern = /^[A-Za-z0-9._-]{1,64}$/;
const statuses: readonly KeyStatus[] = ['active', 'verify', 'retired'];
const jwkMembers = new Set([
  'kty',
  'k',
  'crv',
  'x',
  'd',
  'kid',
  'alg',
  'use',
  'unsub_status',
  'unsub_created',
]);

function headerSegment(alg: KeyAlg, kid: string): string {
  return Buffer.from(JSON.stringify({ alg, kid })).toString('base64url');
}

/**
 * The one-byte key index a compact link carries instead of the kid: the first byte of
 * SHA-256("unsub compact key index " + kid). Derived from the kid alone, it stays the same through
 * rotation, retirement, reordering or removal of other keys in the file, with nothing new to store.
 * New kids are drawn so that no two keys of a ring share an index; keys brought in from elsewhere
 * may collide, and verification then tries each key of that index.
 */
export function compactKeyIndex(kid: string): number {
  return createHash('sha256').update(`unsub compact key index ${kid}`).digest()[0] as number;
}

/**
 * The HMAC key of compact links: HKDF-SHA256 of the key's secret (HS256) or private key (EdDSA),
 * so compact links work with either algorithm, and a compact MAC is never a JWS signature.
 */
function compactMacKey(material: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), 'unsub compact link v1', 32));
}

/**
 * Builds a key from one JWK of the file, or returns what is wrong with it (`where` prefixes the
 * message, e.g. `keys[1]`).
 */
export function entryFromJwk(value: unknown, where: string): KeyEntry | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return `${where} must be a JSON object`;
  const jwk = value as Record<string, unknown>;
  for (const key of Object.keys(jwk))
    if (!jwkMembers.has(key)) return `${where} has an unknown member "${key}"`;
  const { kid, alg, unsub_status: status, unsub_created: created } = jwk;
  if (typeof kid !== 'string' || !kidPattern.test(kid))
    return `${where}.kid must be 1–64 characters of A–Z a–z 0–9 . _ -`;
  const at = `${where} (kid ${kid})`;
  if (jwk.use !== undefined && jwk.use !== 'sig') return `${at}: use must be "sig"`;
  if (typeof status !== 'string' || !statuses.includes(status as KeyStatus)) {
    return `${at}: unsub_status must be "active", "verify" or "retired"`;
  }
  const createdMs = typeof created === 'string' ? Date.parse(created) : NaN;
  if (Number.isNaN(createdMs)) return `${at}: unsub_created must be an ISO 8601 date-time`;
  const base = {
    kid,
    status: status as KeyStatus,
    created: created as string,
    createdMs,
    compactIndex: compactKeyIndex(kid),
  };
  if (alg === 'HS256') {
    if (jwk.kty !== 'oct') return `${at}: kty must be "oct" for HS256`;
    const secret = typeof jwk.k === 'string' ? decodeBase64url(jwk.k) : undefined;
    if (!secret || secret.length < secretBytes)
      return `${at}: k must be base64url of at least ${secretBytes} random bytes`;
    if (jwk.crv !== undefined || jwk.x !== undefined || jwk.d !== undefined)
      return `${at}: an HS256 key has no crv, x or d`;
    return {
      ...base,
      alg,
      secret,
      headerSegment: headerSegment(alg, kid),
      compactKey: compactMacKey(secret),
    };
  }
  if (alg === 'EdDSA') {
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519')
      return `${at}: EdDSA keys must have kty "OKP" and crv "Ed25519"`;
    const x = typeof jwk.x === 'string' && decodeBase64url(jwk.x)?.length === 32 ? jwk.x : undefined;
    const d = typeof jwk.d === 'string' && decodeBase64url(jwk.d)?.length === 32 ? jwk.d : undefined;
    if (!x || !d) return `${at}: x and d must be base64url of 32 bytes each`;
    if (jwk.k !== undefined) return `${at}: an EdDSA key has no k`;
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x, d }, format: 'jwk' });
    } catch {
      return `${at}: d is not a valid Ed25519 private key`;
    }
    const publicKey = createPublicKey(privateKey);
    if (publicKey.export({ format: 'jwk' }).x !== x) return `${at}: x is not the public key of d`;
    return {
      ...base,
      alg,
      privateKey,
      publicKey,
      x,
      d,
      headerSegment: headerSegment(alg, kid),
      compactKey: compactMacKey(decodeBase64url(d) as Buffer),
    };
  }
  return `${at}: alg must be "HS256" or "EdDSA"`;
}

/** The JWK form of a key, for the file. */
export function jwkFromEntry(entry: KeyEntry): StoredJwk {
  const common = {
    kid: entry.kid,
    alg: entry.alg,
    use: 'sig',
    unsub_status: entry.status,
    unsub_created: entry.created,
  } as const;
  return entry.alg === 'HS256'
    ? { kty: 'oct', k: entry.secret.toString('base64url'), ...common }
    : { kty: 'OKP', crv: 'Ed25519', x: entry.x, d: entry.d, ...common };
}

/**
 * A new `active` key with fresh random material; its kid (`k_2026-11-30_ab12cd`) avoids `taken`
 * and, while fewer than 256 keys exist, the compact key indexes of `taken`.
 */
export function newKeyEntry(alg: KeyAlg, nowMs: number, taken: ReadonlySet<string>): KeyEntry {
  const created = new Date(nowMs).toISOString();
  const takenIndexes = new Set([...taken].map(compactKeyIndex));
  let kid: string;
  do kid = `k_${created.slice(0, 10)}_${randomBytes(3).toString('hex')}`;
  while (taken.has(kid) || (takenIndexes.size < 256 && takenIndexes.has(compactKeyIndex(kid))));
  const base = {
    kid,
    status: 'active' as const,
    created,
    createdMs: nowMs,
    headerSegment: headerSegment(alg, kid),
    compactIndex: compactKeyIndex(kid),
  };
  if (alg === 'HS256') {
    const secret = randomBytes(secretBytes);
    return { ...base, alg, secret, compactKey: compactMacKey(secret) };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const d = jwk.d as string;
  return {
    ...base,
    alg,
    privateKey,
    publicKey,
    x: jwk.x as string,
    d,
    compactKey: compactMacKey(decodeBase64url(d) as Buffer),
  };
}
