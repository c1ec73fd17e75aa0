/**
 * @module The key ring: every key of the JWK Set file verifies (unless retired), the newest `active`
 * key signs. Signing and verifying are synchronous node:crypto calls producing and accepting standard
 * compact JWS (`{"alg","kid"}` header, no `typ`), which jose verifies and produces too.
 */
import { createHmac, sign as signBytes, timingSafeEqual, verify as verifyBytes } from 'node:crypto';
import { decodeBase64url } from './base64url.js';
import {
  compactMacBytes,
  compactProblem,
  decodeCompactClaims,
  maxCompactClaimsBytes,
  writeCompactClaims,
} from './compactClaims.js';
import { claimsProblem, decodePayload, encodePayload } from './linkClaims.js';
import { LinkClaimsError, LinkKeyError } from './linkErrors.js';
import { newKeyEntry, type KeyEntry } from './keyMaterial.js';
import { keysFileText, parseKeysFile, readKeysFile, writeKeysFile } from './keysFile.js';
import type { KeyAlg, KeyInfo, LinkClaimsInput, LinkInvalidReason, LinkVerification } from './types.js';

/** Shortest max age a link may have (CAN-SPAM wants unsubscribe links to work for 30 days). */
export const minMaxAgeDays = 60;
/** Longer inputs are not tokens we could have made (the longest redirect URL fits well within). */
const maxTokenLength = 4096;
/** Longer inputs are not compact codes (three groups with the largest ids take 51 characters). */
const maxCompactCodeLength = 80;
const daySeconds = 86_400;

/** Where `signCompactLink` writes a code before encoding it. */
const compactScratch = Buffer.alloc(maxCompactClaimsBytes + compactMacBytes);

/** Options shared by `KeyRing.load` and `KeyRing.generate`. */
export interface KeyRingOptions {
  /** Links expire this many days after signing (≥ 60); unset: never. */
  maxAgeDays?: number;
  /** Clock in milliseconds (tests); default `Date.now`. */
  now?: () => number;
}

/**
 * base64url of a payload. `btoa` takes the ASCII string directly (checked claims encode to pure
 * ASCII) and measured about twice as fast as going through a Buffer; then the alphabet is switched.
 */
function payloadSegment(json: string): string {
  let text = btoa(json);
  if (text.includes('+')) text = text.replaceAll('+', '-');
  if (text.includes('/')) text = text.replaceAll('/', '_');
  return text.endsWith('=') ? text.slice(0, text.endsWith('==') ? -2 : -1) : text;
}

function fail(reason: LinkInvalidReason): LinkVerification {
  return { ok: false, reason };
}

function checkMaxAge(maxAgeDays: number | undefined): number | undefined {
  if (maxAgeDays === undefined) return undefined;
  if (!Number.isSafeInteger(maxAgeDays) || maxAgeDays < minMaxAgeDays) {
    throw new LinkKeyError(
      'max_age_too_short',
      `UNSUB_LINK_MAX_AGE_DAYS must be a whole number of at least ${minMaxAgeDays} days (got ${maxAgeDays}); unset it for links that never expire`,
      { field: 'UNSUB_LINK_MAX_AGE_DAYS' },
    );
  }
  return maxAgeDays * daySeconds;
}

/** Parses a protected header that is not one of our exact segments (e.g. written by another JWS library). */
function kidOfHeader(segment: string): { alg: unknown; kid: string } | undefined {
  const bytes = decodeBase64url(segment);
  if (!bytes) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return undefined;
  const h = header as Record<string, unknown>;
  // Only alg, kid and an optional typ "JWT": anything else (crit, b64, jku, jwk …) changes how the
  // token must be processed, and we do not implement that.
  for (const key of Object.keys(h)) if (key !== 'alg' && key !== 'kid' && key !== 'typ') return undefined;
  if (typeof h.kid !== 'string' || (h.typ !== undefined && h.typ !== 'JWT')) return undefined;
  return { alg: h.alg, kid: h.kid };
}

/** A key ring as plain data that crosses to a worker thread (see `KeyRing.toThreadData`). */
export interface KeyRingThreadData {
  /** The keys as a JWK Set (the key file's text). */
  keys: string;
  maxAgeDays: number | undefined;
}

/** Several keys verify, the newest active one signs. */
export class KeyRing {
  /** The key file this ring was loaded from (and saves to), if any. */
  readonly file: string | undefined;
  readonly #entries: KeyEntry[];
  readonly #byKid = new Map<string, KeyEntry>();
  /** Our own header segments, so the common case skips decoding the header. */
  readonly #byHeader = new Map<string, KeyEntry>();
  /** Keys by compact key index (usually one each; keys imported from elsewhere may share one). */
  readonly #byCompactIndex = new Map<number, KeyEntry[]>();
  readonly #maxAgeSeconds: number | undefined;
  readonly #now: () => number;
  #signer!: KeyEntry;

  private constructor(entries: KeyEntry[], file: string | undefined, options: KeyRingOptions) {
    this.#maxAgeSeconds = checkMaxAge(options.maxAgeDays);
    this.#now = options.now ?? Date.now;
    this.file = file;
    this.#entries = entries;
    this.#reindex();
  }

  /**
   * Loads the JWK Set file; with `create: true` writes a new key (HS256 unless `alg`) when the file
   * is missing and calls `onCreate(file)` (callers print a warning: links signed with it die with the
   * file). Creation is exclusive: when several processes race, all end up with the winner's key.
   * @throws LinkKeyError `keys_file_missing`, `keys_file_invalid`, `keys_file_unreadable`, `max_age_too_short`.
   */
  static async load(
    file: string,
    options: KeyRingOptions & { create?: boolean; onCreate?: (file: string) => void; alg?: KeyAlg } = {},
  ): Promise<KeyRing> {
    checkMaxAge(options.maxAgeDays);
    let entries = await readKeysFile(file);
    if (!entries) {
      if (!options.create) {
        throw new LinkKeyError(
          'keys_file_missing',
          `keys file ${file} does not exist; create it with \`unsub keys generate\``,
          {
            field: file,
          },
        );
      }
      const fresh = [newKeyEntry(options.alg ?? 'HS256', (options.now ?? Date.now)(), new Set())];
      if (await writeKeysFile(file, fresh, { exclusive: true })) {
        options.onCreate?.(file);
        entries = fresh;
      } else {
        entries = await readKeysFile(file); // another process created it first: use theirs
        if (!entries)
          throw new LinkKeyError('keys_file_missing', `keys file ${file} vanished while being created`, {
            field: file,
          });
      }
    }
    return new KeyRing(entries, file, options);
  }

  /**
   * The ring as plain data for a worker thread of this process (`KeyRing.fromThreadData` there), so
   * that render threads sign with the same keys. It holds the secret key material: hand it only to
   * `postMessage`/`workerData`, never to a log, a file or the network.
   */
  toThreadData(): KeyRingThreadData {
    return {
      keys: keysFileText(this.#entries),
      maxAgeDays: this.#maxAgeSeconds === undefined ? undefined : this.#maxAgeSeconds / daySeconds,
    };
  }

  /**
   * The ring another thread made with `toThreadData` (a snapshot: keys rotated there later are not
   * seen here).
   * @throws LinkKeyError `keys_file_invalid` for data that is not a key ring's.
   */
  static fromThreadData(data: KeyRingThreadData, options: Pick<KeyRingOptions, 'now'> = {}): KeyRing {
    return new KeyRing(parseKeysFile(data.keys, '(thread data)'), undefined, {
      ...options,
      ...(data.maxAgeDays === undefined ? {} : { maxAgeDays: data.maxAgeDays }),
    });
  }

  /** An in-memory ring with one fresh active key (tests, or before `save`). */
  static generate(options: KeyRingOptions & { alg?: KeyAlg } = {}): KeyRing {
    const now = (options.now ?? Date.now)();
    return new KeyRing([newKeyEntry(options.alg ?? 'HS256', now, new Set())], undefined, options);
  }

  /**
   * Signs claims with the signing key (sync). `issuedAt` defaults to the ring's clock; `expiresAt`
   * is set from the configured max age.
   * @throws LinkClaimsError when the claims break a rule (e.g. a group id of 0).
   */
  signLink(input: LinkClaimsInput): string {
    // Checked and encoded straight from the caller's object: no copy on the hot path.
    const issuedAt = input.issuedAt ?? Math.floor(this.#now() / 1000);
    const expiresAt = this.#maxAgeSeconds === undefined ? undefined : issuedAt + this.#maxAgeSeconds;
    const problem = claimsProblem(input, issuedAt, expiresAt);
    if (problem) throw new LinkClaimsError(`cannot sign link: ${problem}`);
    const key = this.#signer;
    const header = key.headerSegment;
    const payload = payloadSegment(encodePayload(input, issuedAt, expiresAt));
    const signature =
      key.alg === 'HS256'
        ? createHmac('sha256', key.secret).update(`${header}.${payload}`).digest('base64url')
        : signBytes(null, Buffer.from(`${header}.${payload}`), key.privateKey).toString('base64url');
    // Concatenated afresh rather than by extending the signing-input string, which measured slower.
    return `${header}.${payload}.${signature}`;
  }

  /** Verifies a token (sync); any input gives a value, never a throw. */
  verifyLink(token: string, nowSeconds?: number): LinkVerification {
    if (typeof token !== 'string' || token.length > maxTokenLength) return fail('malformed');
    const dot1 = token.indexOf('.');
    const dot2 = token.indexOf('.', dot1 + 1);
    if (dot1 <= 0 || dot2 <= dot1 + 1 || dot2 === token.length - 1 || token.indexOf('.', dot2 + 1) !== -1) {
      return fail('malformed');
    }
    const headerPart = token.slice(0, dot1);
    let key = this.#byHeader.get(headerPart);
    if (!key) {
      const header = kidOfHeader(headerPart);
      if (!header) return fail('malformed');
      key = this.#byKid.get(header.kid);
      if (!key) return fail('unknown_key');
      if (header.alg !== key.alg) return fail('bad_signature'); // never let the token pick the algorithm
    }
    const payloadBytes = decodeBase64url(token.slice(dot1 + 1, dot2));
    const signature = decodeBase64url(token.slice(dot2 + 1));
    if (!payloadBytes || !signature) return fail('malformed');
    // The signing input as text: HMAC encodes it (UTF-8, as Buffer.from would) without a Buffer of
    // its own in between; Ed25519 verification takes bytes.
    const signed = token.slice(0, dot2);
    if (key.alg === 'HS256') {
      const expected = createHmac('sha256', key.secret).update(signed).digest();
      if (signature.length !== expected.length || !timingSafeEqual(signature, expected))
        return fail('bad_signature');
    } else if (signature.length !== 64 || !verifyBytes(null, Buffer.from(signed), key.publicKey, signature)) {
      return fail('bad_signature');
    }
    // Only a genuine token of a retired key says so; a forged one is just a bad signature.
    if (key.status === 'retired') return fail('retired_key');
    let payload: unknown;
    try {
      payload = JSON.parse(payloadBytes.toString('utf8'));
    } catch {
      return fail('invalid_claims');
    }
    const claims = decodePayload(payload);
    if (!claims) return fail('invalid_claims');
    const now = nowSeconds ?? Math.floor(this.#now() / 1000);
    if (claims.expiresAt !== undefined && now >= claims.expiresAt) return fail('expired');
    // A max age configured after the link was sent still applies (from its issued-at).
    if (this.#maxAgeSeconds !== undefined && now >= claims.issuedAt + this.#maxAgeSeconds)
      return fail('expired');
    return { ok: true, claims, kid: key.kid };
  }

  /**
   * Signs claims as a compact link code (base64url, no dots: see `compactClaims.ts`) with the
   * signing key's compact MAC key. The message uid is not carried; `issuedAt` is kept in whole days.
   * @throws LinkClaimsError for claims that break a rule or do not fit a compact link (a redirect,
   *   more than three groups).
   */
  signCompactLink(input: LinkClaimsInput): string {
    const issuedAt = input.issuedAt ?? Math.floor(this.#now() / 1000);
    const problem = claimsProblem(input, issuedAt, undefined) ?? compactProblem(input, issuedAt);
    if (problem) throw new LinkClaimsError(`cannot sign compact link: ${problem}`);
    const key = this.#signer;
    // One scratch buffer for claims and MAC: signing is synchronous, so no call can interleave.
    const code = compactScratch;
    const length = writeCompactClaims(code, input, issuedAt, key.compactIndex);
    createHmac('sha256', key.compactKey)
      .update(code.subarray(0, length))
      .digest()
      .copy(code, length, 0, compactMacBytes);
    return code.toString('base64url', 0, length + compactMacBytes);
  }

  /**
   * Verifies a compact link code (sync); any input gives a value, never a throw. A JWS is never a
   * compact code (its dots are not base64url), and `verifyLink` never accepts a compact code.
   */
  verifyCompactLink(code: string, nowSeconds?: number): LinkVerification {
    if (typeof code !== 'string' || code.length > maxCompactCodeLength) return fail('malformed');
    const bytes = decodeBase64url(code);
    if (!bytes || bytes.length < compactMacBytes + 4) return fail('malformed');
    const claimBytes = bytes.subarray(0, bytes.length - compactMacBytes);
    const mac = bytes.subarray(bytes.length - compactMacBytes);
    const candidates = this.#byCompactIndex.get(claimBytes[1] as number);
    if (!candidates) return fail('unknown_key');
    let key: KeyEntry | undefined;
    for (const candidate of candidates) {
      const expected = createHmac('sha256', candidate.compactKey).update(claimBytes).digest();
      if (timingSafeEqual(expected.subarray(0, compactMacBytes), mac)) {
        key = candidate;
        break;
      }
    }
    if (!key) return fail('bad_signature');
    if (key.status === 'retired') return fail('retired_key');
    const claims = decodeCompactClaims(claimBytes);
    if (!claims) return fail('invalid_claims');
    const now = nowSeconds ?? Math.floor(this.#now() / 1000);
    if (this.#maxAgeSeconds !== undefined && now >= claims.issuedAt + this.#maxAgeSeconds)
      return fail('expired');
    return { ok: true, claims, kid: key.kid };
  }

  /** Every key, oldest first, without secrets. */
  list(): KeyInfo[] {
    return this.#entries.map((entry) => ({
      kid: entry.kid,
      alg: entry.alg,
      status: entry.status,
      created: entry.created,
      signing: entry === this.#signer,
    }));
  }

  /** The kid of the key that signs new links. */
  get signingKid(): string {
    return this.#signer.kid;
  }

  /** Adds a new active key that signs from now on; every other active key becomes verify-only. */
  rotate(options: { alg?: KeyAlg } = {}): KeyInfo {
    const created = Math.max(this.#now(), ...this.#entries.map((entry) => entry.createdMs + 1));
    const entry = newKeyEntry(options.alg ?? this.#signer.alg, created, new Set(this.#byKid.keys()));
    for (const old of this.#entries) if (old.status === 'active') old.status = 'verify';
    this.#entries.push(entry);
    this.#reindex();
    return this.list().at(-1) as KeyInfo;
  }

  /**
   * Retires a key: its links stop working (verification says `retired_key`). The signing key cannot
   * be retired; rotate first.
   * @throws LinkKeyError `unknown_kid` or `retire_signing_key`.
   */
  retire(kid: string): KeyInfo {
    const entry = this.#byKid.get(kid);
    if (!entry)
      throw new LinkKeyError('unknown_kid', `no key with kid ${kid} (see \`unsub keys list\`)`, {
        field: 'kid',
      });
    if (entry === this.#signer) {
      throw new LinkKeyError(
        'retire_signing_key',
        `${kid} signs new links; run \`unsub keys rotate\` first, then retire it`,
        {
          field: 'kid',
        },
      );
    }
    entry.status = 'retired';
    this.#reindex();
    return this.list().find((info) => info.kid === kid) as KeyInfo;
  }

  /** Writes the ring to `file` (default: the file it was loaded from) atomically, mode 0600. */
  async save(file: string | undefined = this.file): Promise<void> {
    if (file === undefined)
      throw new LinkKeyError('keys_file_missing', 'this key ring has no file; pass one to save()');
    await writeKeysFile(file, this.#entries);
  }

  #reindex(): void {
    this.#byKid.clear();
    this.#byHeader.clear();
    this.#byCompactIndex.clear();
    let signer: KeyEntry | undefined;
    for (const entry of this.#entries) {
      this.#byKid.set(entry.kid, entry);
      this.#byHeader.set(entry.headerSegment, entry);
      const sameIndex = this.#byCompactIndex.get(entry.compactIndex);
      if (sameIndex) sameIndex.push(entry);
      else this.#byCompactIndex.set(entry.compactIndex, [entry]);
      // Newest active signs; on equal creation times the later one in the file wins.
      if (entry.status === 'active' && (!signer || entry.createdMs >= signer.createdMs)) signer = entry;
    }
    if (!signer) throw new LinkKeyError('keys_file_invalid', 'the key ring has no active key to sign links');
    this.#signer = signer;
  }
}
