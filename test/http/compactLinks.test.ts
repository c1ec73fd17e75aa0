/**
 * @module Compact `/s/:code` links over real HTTP on every store backend: the confirm page and the
 * manager under one path (the code says which), POST and one-click act once, and every bad input —
 * a changed character, truncation, a JWS, a foreign or retired key — is the plain 400 "not valid"
 * page, never a 500. A compact code is refused under `/u/` and `/m/`.
 */
import { describe, expect, test } from 'vitest';
import { KeyRing, compactLinkUrl, type LinkClaimsInput } from '../../src/links/index.js';
import { testBackends } from '../support/databases.js';
import { membershipEvent, postForm, startHarness, type Harness } from './httpHarness.js';

const backends = await testBackends('the PostgreSQL HTTP suite');

function compact(h: Harness, claims: Partial<LinkClaimsInput> & Pick<LinkClaimsInput, 'action'>): string {
  return compactLinkUrl(
    h.baseUrl,
    h.keyRing.signCompactLink({ contactId: h.ann.id, channel: 'sms', groupIds: [], ...claims }),
  );
}

async function expectNotValid(url: string, init?: RequestInit): Promise<void> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  expect(response.status, url).toBe(400);
  expect(await response.text()).toContain('This link is not valid');
}

describe.each(backends)('/s/:code on $name', (backend) => {
  test('an unsubscribe code shows the confirm page, POST leaves the SMS groups once', async (context) => {
    const h = await startHarness(context, backend);
    const url = compact(h, { action: 'unsubscribe' });
    expect(new URL(url).pathname.length).toBeLessThanOrEqual(40);
    const before = await h.snapshot();
    const page = await fetch(url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<form method="post">');
    expect(html).toContain('SMS');
    expect(await h.snapshot()).toBe(before);

    const eventsBefore = (await h.outbox()).length;
    expect((await postForm(url, { confirm: '1' })).status).toBe(200);
    expect(await h.states('sms')).toEqual([['SMS alerts', 'unsubscribed']]);
    expect(await h.states('email')).toEqual([
      ['Новости', 'subscribed'],
      ['Offers & <deals>', 'subscribed'],
    ]);
    expect((await h.outbox()).slice(eventsBefore)).toEqual([
      membershipEvent('mailing group unsubscribe', 'ann.smith@example.com', h.sms),
    ]);
    const snapshot = await h.snapshot();
    expect((await postForm(url, { confirm: '1' })).status).toBe(200);
    expect(await h.snapshot()).toBe(snapshot);
    expect(h.logged).toEqual([]);
  });

  test('a manager code opens the manager under the same path and applies the ticked set', async (context) => {
    const h = await startHarness(context, backend);
    const url = compact(h, { action: 'manage' });
    const html = await (await fetch(url)).text();
    expect(html).toContain(`<input type="checkbox" name="group" value="${h.sms.id}" checked>`);
    const response = await postForm(url, { save: '1' });
    expect(response.status).toBe(200);
    expect(await h.states('sms')).toEqual([['SMS alerts', 'unsubscribed']]);
    expect(h.logged).toEqual([]);
  });

  test('one-click POST works on a compact code', async (context) => {
    const h = await startHarness(context, backend);
    const url = compact(h, { action: 'unsubscribe_groups', groupIds: [h.sms.id] });
    const response = await postForm(url, { 'List-Unsubscribe': 'One-Click' });
    expect(response.status).toBe(200);
    expect(await h.states('sms')).toEqual([['SMS alerts', 'unsubscribed']]);
  });

  test('bad codes are the plain "not valid" page, never a 500, and change nothing', async (context) => {
    const h = await startHarness(context, backend);
    const url = compact(h, { action: 'unsubscribe' });
    const code = url.slice(url.lastIndexOf('/') + 1);
    const before = await h.snapshot();
    const alphabet = 'AQgw_-09';
    for (let i = 0; i < code.length; i++) {
      const c = code[i] === alphabet[i % alphabet.length] ? 'B' : alphabet[i % alphabet.length]!;
      await expectNotValid(`${h.baseUrl}/s/${code.slice(0, i)}${c}${code.slice(i + 1)}`);
    }
    await expectNotValid(`${h.baseUrl}/s/${code.slice(0, -1)}`, { method: 'POST' });
    await expectNotValid(`${h.baseUrl}/s/${code}x`);
    await expectNotValid(`${h.baseUrl}/s/${'A'.repeat(5000)}`);
    await expectNotValid(`${h.baseUrl}/s/%E2%82%AC%00`);
    // A JWS is not a compact code, and a compact code is not a JWS.
    const jws = h.link({ action: 'unsubscribe', channel: 'sms' });
    await expectNotValid(`${h.baseUrl}/s/${jws.slice(jws.lastIndexOf('/') + 1)}`);
    await expectNotValid(`${h.baseUrl}/u/${code}`);
    await expectNotValid(`${h.baseUrl}/m/${code}`);
    // A foreign key's code.
    const foreign = KeyRing.generate().signCompactLink({
      action: 'unsubscribe',
      contactId: h.ann.id,
      channel: 'sms',
      groupIds: [],
    });
    await expectNotValid(`${h.baseUrl}/s/${foreign}`, { method: 'POST' });
    expect(await h.snapshot()).toBe(before);
    expect(h.logged).toEqual([]);
  });

  test('retiring the key revokes its compact links', async (context) => {
    const keyRing = KeyRing.generate();
    const oldKid = keyRing.signingKid;
    const h = await startHarness(context, backend, { keyRing });
    const url = compact(h, { action: 'unsubscribe' });
    expect((await fetch(url)).status).toBe(200);
    keyRing.rotate();
    expect((await fetch(url)).status).toBe(200);
    keyRing.retire(oldKid);
    await expectNotValid(url);
    await expectNotValid(url, { method: 'POST', body: 'List-Unsubscribe=One-Click' });
    expect(await h.states('sms')).toEqual([['SMS alerts', 'subscribed']]);
  });
});
