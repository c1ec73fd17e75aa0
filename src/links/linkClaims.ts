/**
 * @module The compact payload of a link token and the strict checks of its claims.
 *
 * Payload claim names (kept short because every byte lands in a URL):
 *
 * | claim | LinkClaims field | value |
 * |---|---|---|
 * | `a`   | action      | `u` unsubscribe, `m` manage, `g` unsubscribe_groups, `r` unsubscribe_redirect |
 * | `c`   | contactId   | positive integer |
 * | `ch`  | channel     | `e` email, `s` sms |
 * | `g`   | groupIds    | positive integers, omitted when empty |
 * | `m`   | messageUid  | visible ASCII but `"` `\`, omitted when absent |
 * | `r`   | redirectUrl | absolute http(s) URL, only for `a: "r"` |
 * | `l`   | locale      | the recipient's language tag (`ru`, `pt-BR`), omitted when absent |
 * | `iat` | issuedAt    | seconds since the epoch (registered JWT claim) |
 * | `exp` | expiresAt   | seconds since the epoch, only with a configured max age (registered JWT claim) |
 *
 * No e-mail address, phone or name is ever put in a token: a contact is its numeric id.
 */
import type { Channel, LinkAction, LinkClaims, LinkClaimsInput } from './types.js';

/** Most group ids one link may carry. */
export const maxGroupIds = 100;
/** Longest message uid accepted. */
export const maxMessageUidLength = 64;
/** Longest redirect URL accepted. */
export const maxRedirectUrlLength = 1024;

const actionCodes: Record<LinkAction, string> = {
  unsubscribe: 'u',
  manage: 'm',
  unsubscribe_groups: 'g',
  unsubscribe_redirect: 'r',
};
const actionsByCode = new Map<unknown, LinkAction>(
  Object.entries(actionCodes).map(([action, code]) => [code, action as LinkAction]),
);
const channelCodes: Record<Channel, string> = { email: 'e', sms: 's' };
const channelsByCode = new Map<unknown, Channel>(
  Object.entries(channelCodes).map(([channel, code]) => [code, channel as Channel]),
);
const payloadKeys = new Set(['a', 'c', 'ch', 'g', 'm', 'r', 'l', 'iat', 'exp']);
/** Longest locale tag accepted. */
export const maxLocaleLength = 16;
/**
 * A BCP 47 language tag's shape (letters, digits, hyphens). Which tags the pages speak is the i18n
 * part's business: a well-formed tag they do not support simply falls back there.
 */
const localePattern = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}$/;
/** Visible ASCII but `"` and `\`, so the uid goes into JSON unescaped. */
const messageUidPattern = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** The last redirect URL that passed the check: a template renders the same URL for every recipient. */
let lastGoodRedirectUrl: string | undefined;

function redirectUrlProblem(value: unknown): string | undefined {
  if (value === lastGoodRedirectUrl) return undefined;
  if (typeof value !== 'string' || value.length > maxRedirectUrlLength || !/^[\x21-\x7e]+$/.test(value)) {
    return `redirectUrl must be an absolute http(s) URL of at most ${maxRedirectUrlLength} visible ASCII characters`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'redirectUrl must be an absolute http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'redirectUrl must use http or https';
  if (url.username !== '' || url.password !== '') return 'redirectUrl must not carry a user name or password';
  lastGoodRedirectUrl = value;
  return undefined;
}

function isPositiveId(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/**
 * Checks claims against every rule of a link; returns what is wrong (naming the field) or undefined.
 * The same check runs when signing and after verifying, so whatever is signed verifies to itself.
 */
export function claimsProblem(
  claims: LinkClaimsInput,
  issuedAt: number,
  expiresAt: number | undefined,
): string | undefined {
  const { action, groupIds } = claims;
  if (!Object.hasOwn(actionCodes, action))
    return 'action must be unsubscribe, manage, unsubscribe_groups or unsubscribe_redirect';
  if (!Object.hasOwn(channelCodes, claims.channel)) return 'channel must be email or sms';
  if (!isPositiveId(claims.contactId)) return 'contactId must be a positive integer';
  if (!Array.isArray(groupIds)) return 'groupIds must be an array';
  if (groupIds.length > maxGroupIds) return `groupIds must hold at most ${maxGroupIds} ids`;
  for (let i = 0; i < groupIds.length; i++) {
    if (!isPositiveId(groupIds[i])) return `groupIds[${i}] must be a positive integer`;
    if (groupIds.indexOf(groupIds[i] as number) !== i) return `groupIds[${i}] repeats ${groupIds[i]}`;
  }
  if ((action === 'unsubscribe' || action === 'manage') && groupIds.length > 0) {
    return `groupIds must be empty for ${action} (it covers every group of the channel)`;
  }
  if (action === 'unsubscribe_groups' && groupIds.length === 0)
    return 'groupIds must not be empty for unsubscribe_groups';
  const uid = claims.messageUid;
  if (
    uid !== undefined &&
    (typeof uid !== 'string' || uid.length > maxMessageUidLength || !messageUidPattern.test(uid))
  ) {
    return `messageUid must be 1–${maxMessageUidLength} visible ASCII characters other than " and \\`;
  }
  const locale = claims.locale;
  if (
    locale !== undefined &&
    (typeof locale !== 'string' || locale.length > maxLocaleLength || !localePattern.test(locale))
  ) {
    return `locale must be a language tag such as ru or pt-BR (at most ${maxLocaleLength} characters)`;
  }
  if (action === 'unsubscribe_redirect') {
    const problem = redirectUrlProblem(claims.redirectUrl);
    if (problem) return problem;
  } else if (claims.redirectUrl !== undefined) {
    return 'redirectUrl is only allowed for unsubscribe_redirect';
  }
  if (typeof issuedAt !== 'number' || !Number.isSafeInteger(issuedAt) || issuedAt < 0) {
    return 'issuedAt must be a non-negative integer (seconds)';
  }
  if (
    expiresAt !== undefined &&
    (typeof expiresAt !== 'number' || !Number.isSafeInteger(expiresAt) || expiresAt <= issuedAt)
  ) {
    return 'expiresAt must be an integer after issuedAt (seconds)';
  }
  return undefined;
}

/** `,"r":…` fragments by URL (a template has few); cleared when it grows past 1000 entries. */
const redirectJsonCache = new Map<string, string>();

function redirectJson(url: string): string {
  let json = redirectJsonCache.get(url);
  if (json === undefined) {
    if (redirectJsonCache.size >= 1000) redirectJsonCache.clear();
    json = `,"r":${JSON.stringify(url)}`;
    redirectJsonCache.set(url, json);
  }
  return json;
}

/**
 * `,"g":[…]` fragments by group array: a compiled template passes the same array for a link slot
 * to every recipient. The copy guards against a caller changing the array between calls.
 */
const groupsJsonCache = new WeakMap<readonly number[], { ids: number[]; json: string }>();

function groupsJson(ids: readonly number[]): string {
  if (ids.length === 0) return '';
  const cached = groupsJsonCache.get(ids);
  if (cached && cached.ids.length === ids.length) {
    let same = true;
    for (let i = 0; i < ids.length && same; i++) same = ids[i] === cached.ids[i];
    if (same) return cached.json;
  }
  const json = `,"g":[${ids.join(',')}]`;
  groupsJsonCache.set(ids, { ids: [...ids], json });
  return json;
}

/**
 * The payload JSON of already checked claims (fixed key order, absent fields omitted). Built by hand:
 * about twice as fast as JSON.stringify of an object, and signing is the hot path of rendering.
 * Checked claims are pure ASCII (codes, integers, visible-ASCII strings without `"` or `\` in the
 * message uid), so no escaping is needed but for the redirect URL; callers rely on the ASCII.
 */
export function encodePayload(
  claims: LinkClaimsInput,
  issuedAt: number,
  expiresAt: number | undefined,
): string {
  const { messageUid, redirectUrl, locale } = claims;
  const groups = groupsJson(claims.groupIds);
  const uid = messageUid === undefined ? '' : `,"m":"${messageUid}"`;
  const redirect = redirectUrl === undefined ? '' : redirectJson(redirectUrl);
  const exp = expiresAt === undefined ? '' : `,"exp":${expiresAt}`;
  const lang = locale === undefined ? '' : `,"l":"${locale}"`;
  // One template literal: fewer intermediate strings than appending piece by piece.
  return `{"a":"${actionCodes[claims.action]}","c":${claims.contactId},"ch":"${channelCodes[claims.channel]}"${groups}${uid}${redirect}${lang},"iat":${issuedAt}${exp}}`;
}

/** Turns a parsed payload into checked claims, or undefined when anything is off. */
export function decodePayload(payload: unknown): LinkClaims | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const p = payload as Record<string, unknown>;
  for (const key of Object.keys(p)) if (!payloadKeys.has(key)) return undefined;
  const action = actionsByCode.get(p.a);
  const channel = channelsByCode.get(p.ch);
  if (action === undefined || channel === undefined) return undefined;
  if (p.g !== undefined && !Array.isArray(p.g)) return undefined;
  const claims: LinkClaims = {
    action,
    contactId: p.c as number,
    channel,
    groupIds: p.g === undefined ? [] : ([...(p.g as unknown[])] as number[]),
    issuedAt: p.iat as number,
  };
  if (p.m !== undefined) claims.messageUid = p.m as string;
  if (p.r !== undefined) claims.redirectUrl = p.r as string;
  if (p.l !== undefined) claims.locale = p.l as string;
  if (p.exp !== undefined) claims.expiresAt = p.exp as number;
  return claimsProblem(claims, claims.issuedAt, claims.expiresAt) === undefined ? claims : undefined;
}
