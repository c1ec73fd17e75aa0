/**
 * @module Resolving a webhook URL's host to one vetted IP address. The sender then connects to that
 * address (never re-resolving), so a DNS answer that changes between check and connect — DNS
 * rebinding — cannot redirect a request to an internal service.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { AddressPolicy } from './createAddressPolicy.js';

/** Resolves a host name to all of its addresses (default: the system resolver, `dns.lookup`). */
export type HostLookup = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

/** A URL that may be called, and the address to call it at. */
export interface VettedTarget {
  ok: true;
  url: URL;
  /** The IP address to connect to. */
  address: string;
  family: 4 | 6;
}

/** A URL that must not be called, with a reason for the sender's settings page. */
export interface RefusedTarget {
  ok: false;
  code: 'invalid_url' | 'address_refused' | 'dns_failure';
  reason: string;
}

const systemLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** A URL that may be called once its host's addresses pass the policy. */
export interface CheckedUrl {
  ok: true;
  url: URL;
  /** The host to resolve: a name, or an IP literal (IPv6 without brackets). */
  host: string;
  /** 4 or 6 when `host` is an IP literal (no DNS needed), else 0. */
  literal: 0 | 4 | 6;
}

/** An address that passed the policy. */
export interface VettedAddress {
  ok: true;
  address: string;
  family: 4 | 6;
}

/** Checks the URL alone (absolute, http or https, no credentials); no DNS. Never throws. */
export function checkWebhookUrl(input: string | URL): CheckedUrl | RefusedTarget {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return { ok: false, code: 'invalid_url', reason: `"${String(input)}" is not an absolute URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      ok: false,
      code: 'invalid_url',
      reason: `only http and https URLs can receive webhooks, not ${url.protocol}`,
    };
  }
  if (url.username || url.password) {
    return {
      ok: false,
      code: 'invalid_url',
      reason:
        'the URL must not contain a user name or password; put a secret in the path or verify our signature',
    };
  }
  // WHATWG URL already turned 2130706433, 0x7f.1 and friends into dotted IPv4; IPv6 comes bracketed.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const family = isIP(host);
  return { ok: true, url, host, literal: family === 4 || family === 6 ? family : 0 };
}

/**
 * Vets every address `host` has with the policy. Refuses when ANY address is refused: a name that
 * mixes public and private answers is treated as hostile. Prefers an IPv4 address.
 */
export function vetAddresses(
  host: string,
  addresses: readonly { address: string; family: number }[],
  policy: AddressPolicy,
): VettedAddress | RefusedTarget {
  for (const { address } of addresses) {
    const verdict = policy.check(address);
    if (!verdict.ok) {
      const what = isIP(host)
        ? `${address} is ${verdict.reason}`
        : `${host} resolves to ${address}, ${verdict.reason}`;
      return { ok: false, code: 'address_refused', reason: `${what}; allow it with UNSUB_WEBHOOK_ALLOW` };
    }
  }
  const chosen = addresses.find((entry) => entry.family === 4) ?? addresses[0];
  if (!chosen) return { ok: false, code: 'dns_failure', reason: `${host} has no address` };
  return { ok: true, address: chosen.address, family: chosen.family === 6 ? 6 : 4 };
}

/** Resolves a host name and vets its addresses (see {@link vetAddresses}). Never rejects. */
export async function lookupVetted(
  host: string,
  policy: AddressPolicy,
  lookup: HostLookup = systemLookup,
): Promise<VettedAddress | RefusedTarget> {
  let addresses: readonly { address: string; family: number }[];
  try {
    addresses = await lookup(host);
  } catch (error) {
    const code = (error as { code?: string } | null)?.code ?? 'error';
    return { ok: false, code: 'dns_failure', reason: `${host} could not be resolved (${code})` };
  }
  if (addresses.length === 0) return { ok: false, code: 'dns_failure', reason: `${host} has no address` };
  return vetAddresses(host, addresses, policy);
}

/**
 * Checks the URL (http or https, no credentials), resolves its host and vets every address with
 * the policy ({@link checkWebhookUrl}, then {@link vetAddresses}; IP literals need no DNS). Never
 * throws.
 */
export async function resolveVetted(
  input: string | URL,
  policy: AddressPolicy,
  lookup: HostLookup = systemLookup,
): Promise<VettedTarget | RefusedTarget> {
  const checked = checkWebhookUrl(input);
  if (!checked.ok) return checked;
  const vetted = checked.literal
    ? vetAddresses(checked.host, [{ address: checked.host, family: checked.literal }], policy)
    : await lookupVetted(checked.host, policy, lookup);
  if (!vetted.ok) return vetted;
  return { ok: true, url: checked.url, address: vetted.address, family: vetted.family };
}
