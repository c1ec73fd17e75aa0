/** @module Tests of the SSRF address policy: every refused range, embedded IPv4 forms, the allow-list. */
import { describe, expect, it } from 'vitest';
import { createAddressPolicy } from './index.js';

const strict = createAddressPolicy();

function reasonOf(address: string, policy = strict): string | undefined {
  const verdict = policy.check(address);
  return verdict.ok ? undefined : verdict.reason;
}

describe('createAddressPolicy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.5', 'private'],
    ['172.16.3.4', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.10.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique local'],
    ['fd12:3456::1', 'unique local'],
    ['fd00:ec2::254', 'metadata'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.5', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:0:10.1.2.3', 'private'],
    ['64:ff9b::a00:5', 'private'],
    ['2002:a00:5::1', 'private'], // 6to4 of 10.0.0.5
    ['2002:7f00:1::1', 'loopback'], // 6to4 of 127.0.0.1
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'], // Teredo, client 127.0.0.1 (inverted)
  ])('refuses %s (%s)', (address, kind) => {
    expect(reasonOf(address)).toContain(kind);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '1.1.1.1',
    '100.63.255.255',
    '100.128.0.0',
    '172.32.0.1',
    '2606:4700::1111',
  ])('allows the public address %s', (address) => {
    expect(strict.check(address)).toEqual({ ok: true });
  });

  it('judges transition forms by their embedded public IPv4', () => {
    expect(strict.check('::ffff:8.8.8.8')).toEqual({ ok: true });
    expect(strict.check('64:ff9b::808:808')).toEqual({ ok: true });
    expect(strict.check('2002:808:808::1')).toEqual({ ok: true });
    expect(reasonOf('64:ff9b:1::a00:5')).toBeDefined(); // local-use NAT64 prefix: refused outright
  });

  it('names the embedded address in the reason', () => {
    expect(reasonOf('::ffff:10.0.0.5')).toBe('an IPv6 form (ipv4Mapped) of 10.0.0.5, a private address');
  });

  it('opens allow-listed ranges, including their IPv4-mapped forms', () => {
    const policy = createAddressPolicy({
      allow: ['127.0.0.0/8', ' 10.1.0.0/16 ', 'fd00::/8', '192.168.1.7', ''],
    });
    expect(policy.allow).toEqual(['127.0.0.0/8', '10.1.0.0/16', 'fd00::/8', '192.168.1.7/32']);
    for (const address of ['127.0.0.1', '10.1.2.3', 'fd12::1', '::ffff:127.0.0.1', '192.168.1.7']) {
      expect(policy.check(address)).toEqual({ ok: true });
    }
    for (const address of ['10.2.0.1', '192.168.1.8', '169.254.169.254', 'fc00::1', '::1']) {
      expect(policy.check(address).ok).toBe(false);
    }
  });

  it('refuses a bad allow-list entry, naming the variable', () => {
    expect(() => createAddressPolicy({ allow: ['10.0.0.0/33'] })).toThrow(
      /UNSUB_WEBHOOK_ALLOW: "10.0.0.0\/33"/,
    );
    expect(() => createAddressPolicy({ allow: ['intranet'] })).toThrow(
      expect.objectContaining({ code: 'invalid_cidr', field: 'UNSUB_WEBHOOK_ALLOW' }),
    );
  });

  it('refuses text that is not an address', () => {
    expect(strict.check('localhost')).toEqual({ ok: false, reason: 'not an IP address' });
  });
});
