/**
 * @module links: signed link tokens (compact JWS, HS256 by default, EdDSA optional) and the key ring
 * that signs and verifies them; link URLs and List-Unsubscribe headers. Other parts import only this.
 */
export type {
  Channel,
  KeyAlg,
  KeyInfo,
  KeyStatus,
  LinkAction,
  LinkClaims,
  LinkClaimsInput,
  LinkInvalidReason,
  LinkVerification,
} from './types.js';
export { KeyRing, minMaxAgeDays, type KeyRingOptions, type KeyRingThreadData } from './KeyRing.js';
export { LinkClaimsError, LinkKeyError, type LinkKeyErrorCode } from './linkErrors.js';
export { compactLinkUrl, linkUrl, listUnsubscribeHeaders, tokenFromLink } from './linkUrl.js';
export { maxGroupIds, maxMessageUidLength, maxRedirectUrlLength } from './linkClaims.js';
export { compactProblem, maxCompactGroups } from './compactClaims.js';
