/** @module Tests of URL vetting: schemes, credentials, literals, DNS answers and rebinding. */
import { describe, expect, it } from 'vitest';
import { createAddressPolicy, resolveVetted, type HostLookup } from './index.js';

const strict = createAddressPolicy();
const answers =
  (...list: string[][]): HostLookup =>
  async () => {
    const next = list.length > 1 ? list.shift() : list[0];
    return (next ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('resolveVetted', () => {
  it('returns the vetted address of a public host, preferring IPv4', async () => {
    const result = await resolveVetted(
      'https://hooks.example.com/in?x=1',
      strict,
      answers(['2606:4700::1', '93.184.216.34']),
    );
    expect(result).toMatchObject({ ok: true, address: '93.184.216.34', family: 4 });
  });

  it.each([
    ['ftp://example.com/', /only http and https/],
    ['file:///etc/passwd', /only http and https/],
    ['not a url', /not an absolute URL/],
    ['https://user:pw@example.com/', /user name or password/],
    ['https://token@example.com/', /user name or password/],
  ])('refuses %s', async (url, reason) => {
    const result = await resolveVetted(url, strict, answers(['93.184.216.34']));
    expect(result).toMatchObject({ ok: false, code: 'invalid_url' });
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('explains a private answer and names the variable that opens it', async () => {
    const result = await resolveVetted('https://intranet.example/hook', strict, answers(['10.0.0.5']));
    expect(result).toEqual({
      ok: false,
      code: 'address_refused',
      reason: 'intranet.example resolves to 10.0.0.5, a private address; allow it with UNSUB_WEBHOOK_ALLOW',
    });
  });

  it('refuses when any answer is private', async () => {
    const result = await resolveVetted(
      'https://mixed.example/',
      strict,
      answers(['93.184.216.34', '127.0.0.1']),
    );
    expect(result).toMatchObject({ ok: false, code: 'address_refused' });
  });

  it('checks IP literals without DNS, in every spelling WHATWG URL normalises', async () => {
    const never: HostLookup = async () => {
      throw new Error('must not resolve a literal');
    };
    for (const url of [
      'http://127.0.0.1/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://[::1]/',
      'http://[::ffff:7f00:1]/',
    ]) {
      const result = await resolveVetted(url, strict, never);
      expect(result).toMatchObject({ ok: false, code: 'address_refused' });
    }
    expect(
      await resolveVetted('http://[::1]:8080/', createAddressPolicy({ allow: ['::1'] }), never),
    ).toMatchObject({
      ok: true,
      address: '::1',
      family: 6,
    });
    expect(await resolveVetted('http://10.0.0.5/', strict, never)).toMatchObject({
      reason: '10.0.0.5 is a private address; allow it with UNSUB_WEBHOOK_ALLOW',
    });
  });

  it('reports DNS failures and empty answers', async () => {
    const failing: HostLookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect(await resolveVetted('https://nope.invalid/', strict, failing)).toEqual({
      ok: false,
      code: 'dns_failure',
      reason: 'nope.invalid could not be resolved (ENOTFOUND)',
    });
    expect(await resolveVetted('https://empty.example/', strict, answers([]))).toMatchObject({
      code: 'dns_failure',
    });
  });

  it('vets every resolution anew: a public answer then a private one (DNS rebinding)', async () => {
    const lookup = answers(['93.184.216.34'], ['169.254.169.254']);
    expect(await resolveVetted('https://rebind.example/', strict, lookup)).toMatchObject({ ok: true });
    const second = await resolveVetted('https://rebind.example/', strict, lookup);
    expect(second).toMatchObject({ ok: false, code: 'address_refused' });
    expect(!second.ok && second.reason).toContain('the cloud metadata address');
  });
});
