/**
 * @module The SSRF address policy: which IP addresses a webhook may connect to. Only global unicast
 * addresses pass (ipaddr.js's range tables, no hand-written patterns); IPv6 forms that embed an IPv4
 * address (mapped, NAT64, 6to4, Teredo) are judged by that IPv4 address; an allow-list of CIDRs
 * (`UNSUB_WEBHOOK_ALLOW`) opens private ranges for self-hosters and tests.
 */
import ipaddr from 'ipaddr.js';
import { UnsubError } from '../errors/index.js';

/** An allow-list entry that is not an IP address or CIDR. */
export class AddressPolicyError extends UnsubError<'invalid_cidr'> {}

/** The verdict on one address; `reason` describes it, e.g. `a private address`. */
export type AddressVerdict = { ok: true } | { ok: false; reason: string };

/** Decides which addresses webhooks may reach. */
export interface AddressPolicy {
  /** The verdict on one IP address (IPv4 or IPv6 text). */
  check(address: string): AddressVerdict;
  /** The allow-list, normalised (`10.0.0.0/8`, `::1/128`). */
  readonly allow: readonly string[];
}

/** Options of {@link createAddressPolicy}. */
export interface AddressPolicyOptions {
  /** CIDRs (or single addresses) that are allowed although not public, e.g. `['127.0.0.0/8']`. */
  allow?: readonly string[];
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Cloud instance metadata services: named apart because reaching them leaks credentials. */
const metadata = [ipaddr.parse('169.254.169.254'), ipaddr.parse('fd00:ec2::254')];

const rangeNames: Record<string, string> = {
  private: 'a private address',
  loopback: 'a loopback address',
  linkLocal: 'a link-local address',
  carrierGradeNat: 'a carrier-grade NAT (100.64.0.0/10) address',
  uniqueLocal: 'a unique local (ULA, fc00::/7) address',
  multicast: 'a multicast address',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address',
};

function describeRange(range: string): string {
  return rangeNames[range] ?? `a special-purpose address (${range})`;
}

/** The IPv4 address an IPv6 transition form carries, or undefined for other addresses. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const parts = address.parts;
  const fromWords = (high: number, low: number) =>
    new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  switch (address.range()) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d
      return fromWords(parts[6] ?? 0, parts[7] ?? 0);
    case 'rfc6052': // 64:ff9b::a.b.c.d (NAT64); the local-use 64:ff9b:1::/48 is refused as a whole
      return parts[2] === 0 ? fromWords(parts[6] ?? 0, parts[7] ?? 0) : undefined;
    case '6to4': // 2002:AABB:CCDD::/48
      return fromWords(parts[1] ?? 0, parts[2] ?? 0);
    case 'teredo': // 2001:0:server:…:client, the client address stored inverted
      return fromWords(~(parts[6] ?? 0) & 0xffff, ~(parts[7] ?? 0) & 0xffff);
    default:
      return undefined;
  }
}

function parseCidr(entry: string): [Address, number] {
  const text = entry.trim();
  try {
    if (text.includes('/')) return ipaddr.parseCIDR(text);
    const address = ipaddr.parse(text);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch (cause) {
    throw new AddressPolicyError(
      'invalid_cidr',
      `UNSUB_WEBHOOK_ALLOW: "${entry}" is not an IP address or CIDR (e.g. 10.0.0.0/8, 127.0.0.1, fd00::/8)`,
      { cause, field: 'UNSUB_WEBHOOK_ALLOW' },
    );
  }
}

/**
 * Creates the policy.
 * @throws AddressPolicyError naming the first allow-list entry that is not a CIDR.
 */
export function createAddressPolicy({ allow = [] }: AddressPolicyOptions = {}): AddressPolicy {
  const allowed = allow.filter((entry) => entry.trim() !== '').map(parseCidr);

  function isAllowed(address: Address): boolean {
    return allowed.some(
      ([network, bits]) => address.kind() === network.kind() && address.match(network, bits),
    );
  }

  /** Why a (not allow-listed) address is refused, or undefined when it is public. */
  function refusal(address: Address): string | undefined {
    if (
      metadata.some((entry) => entry.kind() === address.kind() && entry.toString() === address.toString())
    ) {
      return 'the cloud metadata address';
    }
    const range = address.range();
    if (range === 'unicast') return undefined;
    if (address.kind() === 'ipv6') {
      const inner = embeddedIPv4(address as ipaddr.IPv6);
      if (inner) {
        if (isAllowed(inner)) return undefined;
        const innerRefusal = refusal(inner);
        return innerRefusal && `an IPv6 form (${range}) of ${inner.toString()}, ${innerRefusal}`;
      }
    }
    return describeRange(range);
  }

  return {
    allow: allowed.map(([network, bits]) => `${network.toString()}/${bits}`),
    check(text) {
      let address: Address;
      try {
        address = ipaddr.parse(text);
      } catch {
        return { ok: false, reason: 'not an IP address' };
      }
      if (isAllowed(address)) return { ok: true };
      const why = refusal(address);
      return why === undefined ? { ok: true } : { ok: false, reason: why };
    },
  };
}
