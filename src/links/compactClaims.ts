/**
 * @module The binary claims of a compact link (`/s/CODE`, for SMS and WhatsApp buttons, where a
 * 330-character JWS costs two extra SMS segments). A compact code is base64url of
 * `claims bytes ‖ first 8 bytes of HMAC-SHA256(compact key, claims bytes)`.
 *
 * Claims bytes (version 1):
 *
 * | byte(s) | content |
 * |---|---|
 * | 0 | `01` version (2 bits) · action (2 bits: 0 unsubscribe, 1 manage, 2 unsubscribe_groups) · channel (1 bit: 0 email, 1 sms) · group count (3 bits, 0–3) |
 * | 1 | key index (0–255, derived from the kid: see `compactKeyIndex`) |
 * | … | contact id, unsigned LEB128 |
 * | … | issued-at in whole days since 2020-01-01, unsigned LEB128 |
 * | … | group ids, strictly increasing, unsigned LEB128 each |
 *
 * LEB128 must be minimal (no trailing zero groups) and nothing may follow the last group: every
 * claims value has exactly one encoding, so a code cannot be re-spelled. There is no message uid,
 * redirect URL or expiry: a max age applies from the issued-at, and templates with
 * `UnsubscribeRedirect` or more than three groups in one tag are refused for compact links (lint).
 *
 * With contact ids below 2^35, group ids below 2^21 and three groups the claims take at most 19
 * bytes: 27 bytes with the MAC, a 36-character code, and `/s/` + code ≤ 40 characters.
 */
import type { Channel, LinkAction, LinkClaims, LinkClaimsInput } from './types.js';

/** Most groups a compact link carries (a tag naming more is refused for SMS templates). */
export const maxCompactGroups = 3;
/** Bytes of the truncated HMAC (64 bits). */
export const compactMacBytes = 8;
/** Day 0 of the compact issued-at: 2020-01-01T00:00:00Z, in seconds. */
export const compactEpochSeconds = 1_577_836_800;
const daySeconds = 86_400;
const version = 1;

const actionBits: Partial<Record<LinkAction, number>> = { unsubscribe: 0, manage: 1, unsubscribe_groups: 2 };
const actionsByBits: readonly (LinkAction | undefined)[] = ['unsubscribe', 'manage', 'unsubscribe_groups'];

/** Why claims cannot be written as a compact link, or undefined when they can. */
export function compactProblem(claims: LinkClaimsInput, issuedAt: number): string | undefined {
  if (actionBits[claims.action] === undefined)
    return `a compact link cannot carry ${claims.action} (it has no room for a redirect URL)`;
  if (claims.groupIds.length > maxCompactGroups)
    return `a compact link carries at most ${maxCompactGroups} groups (got ${claims.groupIds.length})`;
  if (issuedAt < compactEpochSeconds) return 'issuedAt must not be before 2020-01-01 for a compact link';
  return undefined;
}

/** Writes `value` as unsigned LEB128 at `at`; returns the offset after it. */
function writeVarint(out: Buffer, at: number, value: number): number {
  // Division, not bit operations: ids may exceed 32 bits.
  let rest = value;
  let offset = at;
  while (rest >= 0x80) {
    out[offset++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[offset++] = rest;
  return offset;
}

/** True when `ids` is strictly increasing (a compiled template's slots always are). */
function increasing(ids: readonly number[]): boolean {
  for (let i = 1; i < ids.length; i++) if ((ids[i] as number) <= (ids[i - 1] as number)) return false;
  return true;
}

/** Most bytes claims take: two header bytes and five LEB128 numbers of at most 8 bytes. */
export const maxCompactClaimsBytes = 2 + 5 * 8;

/**
 * Writes the claims bytes of checked claims (`compactProblem` and `claimsProblem` undefined) into
 * `out` (at least `maxCompactClaimsBytes` long) from offset 0, group ids sorted; returns the length.
 * Writing into the caller's buffer keeps signing free of intermediate arrays (the hot path).
 */
export function writeCompactClaims(
  out: Buffer,
  claims: LinkClaimsInput,
  issuedAt: number,
  keyIndex: number,
): number {
  const groups = increasing(claims.groupIds) ? claims.groupIds : [...claims.groupIds].sort((a, b) => a - b);
  out[0] =
    (version << 6) |
    ((actionBits[claims.action] as number) << 4) |
    ((claims.channel === 'sms' ? 1 : 0) << 3) |
    groups.length;
  out[1] = keyIndex;
  let at = writeVarint(out, 2, claims.contactId);
  at = writeVarint(out, at, Math.floor((issuedAt - compactEpochSeconds) / daySeconds));
  for (const id of groups) at = writeVarint(out, at, id);
  return at;
}

/**
 * Reads claims bytes; undefined for anything that is not the one encoding of valid claims
 * (unknown version or action, non-minimal or overlong numbers, unsorted groups, trailing bytes).
 */
export function decodeCompactClaims(bytes: Buffer): LinkClaims | undefined {
  if (bytes.length < 4) return undefined;
  const head = bytes[0] as number;
  if (head >> 6 !== version) return undefined;
  const action = actionsByBits[(head >> 4) & 0b11];
  const groupCount = head & 0b111;
  if (action === undefined || groupCount > maxCompactGroups) return undefined;
  let at = 2;
  const readVarint = (): number | undefined => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = bytes[at++];
      if (byte === undefined) return undefined;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        // Minimal: a last byte of 0 is only allowed as the whole number 0.
        if (byte === 0 && i > 0) return undefined;
        return Number.isSafeInteger(value) ? value : undefined;
      }
      scale *= 0x80;
    }
    return undefined;
  };
  const contactId = readVarint();
  const days = readVarint();
  if (contactId === undefined || days === undefined) return undefined;
  const groupIds: number[] = [];
  for (let i = 0; i < groupCount; i++) {
    const id = readVarint();
    if (id === undefined || id < 1 || (i > 0 && id <= (groupIds[i - 1] as number))) return undefined;
    groupIds.push(id);
  }
  if (at !== bytes.length || contactId < 1) return undefined;
  if ((action === 'unsubscribe_groups') !== groupIds.length > 0) return undefined;
  const channel: Channel = (head >> 3) & 1 ? 'sms' : 'email';
  return { action, contactId, channel, groupIds, issuedAt: compactEpochSeconds + days * daySeconds };
}
