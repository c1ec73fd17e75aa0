/**
 * @module The vocabulary of link tokens.
 *
 * Terms: a *link token* is a compact JWS whose payload holds the claims of one link (what it does,
 * for which contact, in which channel and groups). A *key* signs or verifies tokens; the *key ring*
 * holds every key of the JWK Set file, and its newest `active` key signs.
 */

/** Delivery channel a link belongs to. */
export type Channel = 'email' | 'sms';

/** What following a link does. */
export type LinkAction = 'unsubscribe' | 'manage' | 'unsubscribe_groups' | 'unsubscribe_redirect';

/** Decoded, validated claims of a link token. */
export interface LinkClaims {
  action: LinkAction;
  /** Positive integer id of the contact; never an e-mail address or phone number. */
  contactId: number;
  /** Unique id of one sent copy (visible ASCII, 1–64 characters). */
  messageUid?: string;
  channel: Channel;
  /** `[]` for 'unsubscribe' (all groups of the channel) and 'manage'; ≥ 1 for 'unsubscribe_groups'. */
  groupIds: number[];
  /** Absolute http(s) URL; present exactly when action is 'unsubscribe_redirect'. */
  redirectUrl?: string;
  /** The recipient's language tag (`ru`, `pt-BR`): the pages speak it when they support it. */
  locale?: string;
  /** Seconds since the epoch. */
  issuedAt: number;
  /** Seconds since the epoch; only when a max age (≥ 60 days) is configured. */
  expiresAt?: number;
}

/**
 * Claims a caller passes to `signLink`: issuedAt defaults to the ring's clock, expiresAt comes from
 * the max age, and a compiled template's read-only group list is accepted as is.
 */
export type LinkClaimsInput = Omit<LinkClaims, 'issuedAt' | 'expiresAt' | 'groupIds'> & {
  groupIds: readonly number[];
  issuedAt?: number;
};

/** Why a token did not verify. */
export type LinkInvalidReason =
  'malformed' | 'bad_signature' | 'unknown_key' | 'retired_key' | 'expired' | 'invalid_claims';

/** Verification outcome: a value, never a throw. */
export type LinkVerification =
  { ok: true; claims: LinkClaims; kid: string } | { ok: false; reason: LinkInvalidReason };

/** Signature algorithms a key may use. */
export type KeyAlg = 'HS256' | 'EdDSA';

/**
 * Life cycle of a key: `active` keys verify and the newest signs; `verify` keys were rotated out of
 * signing but still verify; `retired` keys are kept only so verification can say `retired_key`.
 */
export type KeyStatus = 'active' | 'verify' | 'retired';

/** Public description of one key (never the secret). */
export interface KeyInfo {
  kid: string;
  alg: KeyAlg;
  status: KeyStatus;
  /** ISO 8601 creation time. */
  created: string;
  /** True for the one key that signs new links. */
  signing: boolean;
}
