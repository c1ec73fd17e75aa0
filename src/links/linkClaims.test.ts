/** @module Tests of the compact payload layout and the claim rules. */
import { describe, expect, it } from 'vitest';
import { claimsProblem as problemOf, decodePayload, encodePayload as encodeWith } from './linkClaims.js';
import type { LinkClaims } from './types.js';

const claimsProblem = (claims: LinkClaims) => problemOf(claims, claims.issuedAt, claims.expiresAt);
const encodePayload = (claims: LinkClaims) => encodeWith(claims, claims.issuedAt, claims.expiresAt);
const base: LinkClaims = {
  action: 'unsubscribe',
  contactId: 42,
  channel: 'email',
  groupIds: [],
  issuedAt: 1_764_460_800,
};

describe('encodePayload', () => {
  it('writes the short claim names in a fixed order and omits absent fields', () => {
    expect(encodePayload(base)).toBe('{"a":"u","c":42,"ch":"e","iat":1764460800}');
    const full: LinkClaims = {
      action: 'unsubscribe_redirect',
      contactId: 7,
      channel: 'sms',
      groupIds: [3, 1],
      messageUid: 'm-1',
      redirectUrl: 'https://example.com/a?b="c"',
      issuedAt: 10,
      expiresAt: 20,
    };
    const json = encodePayload(full);
    expect(json).toBe(
      '{"a":"r","c":7,"ch":"s","g":[3,1],"m":"m-1","r":"https://example.com/a?b=\\"c\\"","iat":10,"exp":20}',
    );
    expect(JSON.parse(json)).toMatchObject({ g: [3, 1], r: full.redirectUrl });
  });

  it('does not reuse a cached group list after the caller changes its array', () => {
    const groups = [1, 2];
    const claims: LinkClaims = { ...base, action: 'unsubscribe_groups', groupIds: groups };
    expect(encodePayload(claims)).toContain('"g":[1,2]');
    groups[1] = 5;
    expect(encodePayload(claims)).toContain('"g":[1,5]');
  });

  it('round-trips through decodePayload for each action', () => {
    const cases: LinkClaims[] = [
      base,
      { ...base, action: 'manage', messageUid: '0123456789_012_012_01234' },
      { ...base, action: 'unsubscribe_groups', groupIds: [4, 5], channel: 'sms' },
      {
        ...base,
        action: 'unsubscribe_redirect',
        groupIds: [],
        redirectUrl: 'http://example.com/',
        expiresAt: base.issuedAt + 1,
      },
    ];
    for (const claims of cases) expect(decodePayload(JSON.parse(encodePayload(claims)))).toEqual(claims);
  });
});

describe('claimsProblem', () => {
  it.each<[string, Partial<LinkClaims> & Record<string, unknown>, RegExp]>([
    ['an unknown action', { action: 'delete' as never }, /action/],
    ['an inherited property name as action', { action: 'toString' as never }, /action/],
    ['an unknown channel', { channel: 'whatsapp' as never }, /channel/],
    ['contact id 0', { contactId: 0 }, /contactId/],
    ['a fractional contact id', { contactId: 1.5 }, /contactId/],
    ['a contact id as text', { contactId: '42' as never }, /contactId/],
    ['groups on unsubscribe', { groupIds: [1] }, /empty for unsubscribe/],
    ['groups on manage', { action: 'manage', groupIds: [1] }, /empty for manage/],
    ['no groups on unsubscribe_groups', { action: 'unsubscribe_groups', groupIds: [] }, /not be empty/],
    ['group id 0', { action: 'unsubscribe_groups', groupIds: [1, 0] }, /groupIds\[1\]/],
    ['a repeated group id', { action: 'unsubscribe_groups', groupIds: [2, 2] }, /repeats/],
    [
      '101 groups',
      { action: 'unsubscribe_groups', groupIds: Array.from({ length: 101 }, (_, i) => i + 1) },
      /at most 100/,
    ],
    ['a message uid with a quote', { messageUid: 'a"b' }, /messageUid/],
    ['an empty message uid', { messageUid: '' }, /messageUid/],
    ['a 65-character message uid', { messageUid: 'x'.repeat(65) }, /messageUid/],
    ['a redirect URL on unsubscribe', { redirectUrl: 'https://example.com/' }, /only allowed/],
    ['no redirect URL on unsubscribe_redirect', { action: 'unsubscribe_redirect' }, /redirectUrl/],
    [
      'a javascript: redirect',
      { action: 'unsubscribe_redirect', redirectUrl: 'javascript:alert(1)' },
      /http or https/,
    ],
    ['a relative redirect', { action: 'unsubscribe_redirect', redirectUrl: '/thanks' }, /absolute/],
    [
      'a redirect with credentials',
      { action: 'unsubscribe_redirect', redirectUrl: 'https://u:p@example.com/' },
      /password/,
    ],
    [
      'a redirect with a space',
      { action: 'unsubscribe_redirect', redirectUrl: 'https://example.com/a b' },
      /visible ASCII/,
    ],
    ['a negative issuedAt', { issuedAt: -1 }, /issuedAt/],
    ['a fractional issuedAt', { issuedAt: 1.5 }, /issuedAt/],
    ['expiresAt before issuedAt', { expiresAt: base.issuedAt }, /expiresAt/],
  ])('refuses %s', (_name, change, message) => {
    expect(claimsProblem({ ...base, ...change } as LinkClaims)).toMatch(message);
  });

  it('accepts a redirect with or without groups', () => {
    const redirect: LinkClaims = {
      ...base,
      action: 'unsubscribe_redirect',
      redirectUrl: 'https://example.com/thanks?from=newsletter',
    };
    expect(claimsProblem(redirect)).toBeUndefined();
    expect(claimsProblem({ ...redirect, groupIds: [1, 2] })).toBeUndefined();
  });
});

describe('decodePayload', () => {
  it.each([
    ['an array', [1]],
    ['null', null],
    ['an unknown claim', { a: 'u', c: 1, ch: 'e', iat: 1, email: 'user@gmail.com' }],
    ['an unknown action code', { a: 'x', c: 1, ch: 'e', iat: 1 }],
    ['groups as an object', { a: 'g', c: 1, ch: 'e', g: { 0: 1 }, iat: 1 }],
    ['a missing iat', { a: 'u', c: 1, ch: 'e' }],
    ['a missing contact', { a: 'u', ch: 'e', iat: 1 }],
  ])('refuses %s', (_name, payload) => {
    expect(decodePayload(payload)).toBeUndefined();
  });
});
