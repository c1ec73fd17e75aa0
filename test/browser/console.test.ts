/**
 * @module The sender's console in real Chromium: sign-in; Settings ➔ Webhooks test-before-save
 * against a local receiver (500 keeps Save disabled, 204 shows the sample body and enables it) and a
 * real signed delivery after Save; a failed delivery retried and replayed from Deliveries; branding
 * in the live preview and on the real `/u/:token` page; groups and contacts; the session guard and
 * CSRF refusal; labels, keyboard focus and 320 px. Screenshots go to test/artifacts/console/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { eventSamples } from '../../src/events/index.js';
import { activeSecrets } from '../../src/store/index.js';
import { verifyWebhook } from '../../src/webhooks/index.js';
import { adminToken, startConsole, type ConsoleHarness } from '../http/consoleHarness.js';
import { describeBrowser } from '../support/browser.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhookReceiver.js';

const artifacts = path.join(import.meta.dirname, '..', 'artifacts', 'console');
mkdirSync(artifacts, { recursive: true });

let browser: () => Browser;

/** A fresh browser page (own cookies), closed with the test. */
async function newPage(
  context: { onTestFinished(fn: () => Promise<void>): void },
  width = 1280,
): Promise<Page> {
  const browserContext = await browser().newContext({ viewport: { width, height: 900 } });
  context.onTestFinished(() => browserContext.close());
  return browserContext.newPage();
}

async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage });
}

/** Opens `target`, is sent to sign-in, signs in with the admin token and lands on `target`. */
async function signIn(
  page: Page,
  harness: ConsoleHarness,
  target: string,
  screenshot?: string,
): Promise<void> {
  await page.goto(`${harness.baseUrl}${target}`);
  expect(new URL(page.url()).pathname).toBe('/signin');
  if (screenshot) await shot(page, screenshot);
  await page.fill('#token', adminToken);
  await Promise.all([
    page.waitForURL(`${harness.baseUrl}${target}`),
    page.click('main button[type="submit"]'),
  ]);
}

/** A receiver whose answer status can be switched. */
async function switchableReceiver(context: { onTestFinished(fn: () => Promise<void>): void }) {
  const state = { status: 500 };
  const receiver: WebhookReceiver = await startWebhookReceiver((_request, response) =>
    response
      .writeHead(state.status, { 'content-type': 'text/plain' })
      .end(state.status === 204 ? undefined : 'boom'),
  );
  context.onTestFinished(() => receiver.close());
  return { receiver, state };
}

describeBrowser('the console in Chromium', (launched) => {
  browser = launched;
  test(
    'webhooks: Save only after the URL passed, then a real event arrives signed',
    { timeout: 90_000 },
    async (context) => {
      const harness = await startConsole(context);
      const group = await harness.subscriptions.createGroup({
        name: 'News',
        systemName: 'news',
        channel: 'email',
      });
      const ann = await harness.subscriptions.createContact({
        email: 'ann@example.com',
        groupIds: [group.id],
      });
      const { receiver, state } = await switchableReceiver(context);
      const page = await newPage(context);
      await signIn(page, harness, '/settings/webhooks', 'signin');

      const row = page.locator('#slot-mailing-group-unsubscribe');
      const save = row.locator('button.save');
      const url = `${receiver.origin}/hooks`;
      expect(await save.isDisabled()).toBe(true);
      await row.locator('input[name="url"]').fill(url);
      expect(await save.isDisabled()).toBe(true);

      state.status = 500;
      await row.locator('button.test').click();
      await row.locator('.verdict.bad').waitFor();
      expect(await row.locator('.verdict').textContent()).toMatch(/Failed: HTTP 500 in \d+ ms/);
      expect(await save.isDisabled()).toBe(true);
      await shot(page, 'webhooks-test-failed');

      state.status = 204;
      await row.locator('button.test').click();
      await row.locator('.verdict.ok').waitFor();
      expect(await row.locator('.verdict').textContent()).toMatch(/Passed: HTTP 204 in \d+ ms/);
      expect(await row.locator('pre.sent').textContent()).toBe(
        JSON.stringify(eventSamples['mailing group unsubscribe'], null, 2),
      );
      expect(await save.isDisabled()).toBe(false);
      // Another URL has not passed: Save is disabled again until the tested one is back.
      await row.locator('input[name="url"]').fill(`${url}/other`);
      expect(await save.isDisabled()).toBe(true);
      await row.locator('input[name="url"]').fill(url);
      expect(await save.isDisabled()).toBe(false);
      await shot(page, 'webhooks-test-passed');

      await Promise.all([page.waitForURL(/saved=/), save.click()]);
      await page.locator('#slot-mailing-group-unsubscribe .notice').waitFor();
      const endpoint = await harness.store.endpointFor('mailing group unsubscribe');
      expect(endpoint?.url).toBe(url);
      await page
        .locator('#slot-mailing-group-unsubscribe summary', { hasText: 'Show signing secret' })
        .click();
      const secret = await page.locator('#slot-mailing-group-unsubscribe .secret-value').textContent();
      expect(secret).toBe(endpoint?.secrets[0]?.secret);
      expect(secret).toMatch(/^whsec_/);
      await shot(page, 'webhooks');

      // A real event: the recipient unsubscribes; the dispatcher delivers it, signed.
      await harness.subscriptions.unsubscribe({
        contactId: ann.id,
        channel: 'email',
        groupIds: 'all',
        source: 'link',
      });
      await harness.dispatcher.runOnce();
      const delivered = receiver.requests.filter(
        (request) => !String(request.headers['webhook-id']).startsWith('msg_test_'),
      );
      expect(delivered).toHaveLength(1);
      const event = verifyWebhook(
        activeSecrets(endpoint!, Date.now()),
        delivered[0]!.headers,
        delivered[0]!.body,
      );
      expect(event).toEqual({
        event: 'mailing group unsubscribe',
        email: 'ann@example.com',
        group_id: group.id,
        group_name: 'News',
        channel: 'email',
      });
      expect(harness.logged).toEqual([]);
    },
  );

  test(
    'deliveries: a failed delivery is shown, retried and replayed',
    { timeout: 90_000 },
    async (context) => {
      const harness = await startConsole(context);
      const { receiver, state } = await switchableReceiver(context);
      state.status = 204;
      const url = `${receiver.origin}/all`;
      expect((await harness.webhookSettings.test({ url })).ok).toBe(true);
      await harness.webhookSettings.save({ common: url });
      state.status = 500;
      const group = await harness.subscriptions.createGroup({
        name: 'News',
        systemName: 'news',
        channel: 'email',
      });
      await harness.subscriptions.createContact({ email: 'bob@example.com', groupIds: [group.id] });
      await harness.dispatcher.runOnce();
      const [failed] = await harness.store.listDeliveries({ status: 'failed' });
      expect(failed?.eventType).toBe('contact adding');

      const page = await newPage(context);
      await signIn(page, harness, '/deliveries?status=failed');
      const link = page.locator(`table.deliveries a[href="/deliveries/${failed!.id}"]`);
      await link.waitFor();
      expect(await page.locator('table.deliveries tbody tr').count()).toBe(1);
      expect(await page.locator('table.deliveries tbody').textContent()).toContain('HTTP 500');
      await shot(page, 'deliveries');

      await Promise.all([page.waitForURL(`${harness.baseUrl}/deliveries/${failed!.id}`), link.click()]);
      expect(await page.locator('table.attempts tbody tr').count()).toBe(1);
      expect(await page.locator('table.attempts tbody').textContent()).toContain('HTTP 500');
      state.status = 204;
      await Promise.all([page.waitForURL(/retried=1/), page.click('button:has-text("Retry")')]);
      await harness.dispatcher.runOnce();
      await page.reload();
      expect(await page.locator('.facts .badge').textContent()).toBe('succeeded');
      expect(await page.locator('table.attempts tbody tr').count()).toBe(2);
      expect(await page.locator('table.attempts tbody tr').nth(1).textContent()).toContain('HTTP 204');
      await shot(page, 'delivery');

      // Replay: another failure, replayed for the endpoint over the default window (the last day).
      state.status = 500;
      await harness.subscriptions.createContact({ email: 'cy@example.com', groupIds: [group.id] });
      await harness.dispatcher.runOnce();
      state.status = 204;
      await page.goto(`${harness.baseUrl}/deliveries`);
      const endpointId = (await harness.store.findEndpoint(null))!.id;
      await page.selectOption('#replay-endpoint', String(endpointId));
      await Promise.all([page.waitForURL(/replayed=1/), page.click('button:has-text("Replay failed")')]);
      expect(await page.locator('.notice').textContent()).toContain('1 delivery queued again');
      await harness.dispatcher.runOnce();
      expect(await harness.store.listDeliveries({ status: 'failed' })).toEqual([]);
      expect(receiver.requests.filter((request) => request.body.includes('cy@example.com')).length).toBe(2);
      expect(harness.logged).toEqual([]);
    },
  );

  test(
    'branding: the live preview follows the form and the real /u/:token page shows it',
    { timeout: 90_000 },
    async (context) => {
      const harness = await startConsole(context);
      const group = await harness.subscriptions.createGroup({
        name: 'News',
        systemName: 'news',
        channel: 'email',
      });
      const ann = await harness.subscriptions.createContact({
        email: 'ann@example.com',
        firstName: 'Ann',
        groupIds: [group.id],
      });
      const page = await newPage(context);
      await signIn(page, harness, '/settings/pages');

      await page.fill('#noticeText', 'Hello {{subscriber_firstname}}, sorry to see you go.');
      await page.fill('#buttonText', 'Yes, unsubscribe me');
      const confirm = page.frameLocator('#preview-confirm');
      await confirm.locator('p.notice', { hasText: 'Hello Jane, sorry to see you go.' }).waitFor();
      expect(await confirm.locator('main button').textContent()).toBe('Yes, unsubscribe me');
      await page.frameLocator('#preview-manager').locator('p.notice', { hasText: 'Hello Jane' }).waitFor();
      await shot(page, 'pages-preview');

      // Confirmation off: the preview shows what the recipient gets at once.
      await page.check('input[name="confirm"][value="off"]');
      await confirm.locator('h1', { hasText: 'You are unsubscribed' }).waitFor();
      await page.check('input[name="confirm"][value="on"]');
      await confirm.locator('main button', { hasText: 'Yes, unsubscribe me' }).waitFor();

      await Promise.all([page.waitForURL(/saved=1/), page.click('form#branding-form button[type="submit"]')]);
      await shot(page, 'pages');

      // The contact's own link, from its console page: the real public page with the new branding.
      await page.goto(`${harness.baseUrl}/contacts/${ann.id}`);
      const href = await page
        .locator('main a[target="_blank"]', { hasText: 'Unsubscribe page' })
        .getAttribute('href');
      expect(href).toMatch(new RegExp(`^${harness.baseUrl}/u/`));
      await page.goto(href!);
      expect(await page.locator('p.notice').textContent()).toBe('Hello Ann, sorry to see you go.');
      expect(await page.locator('main button').textContent()).toBe('Yes, unsubscribe me');
      await shot(page, 'public-confirm-branded');
      expect(harness.logged).toEqual([]);
    },
  );

  test(
    'groups and contacts: create a group, find a contact, change its lists',
    { timeout: 90_000 },
    async (context) => {
      const harness = await startConsole(context);
      const news = await harness.subscriptions.createGroup({
        name: 'News',
        systemName: 'news',
        channel: 'email',
      });
      await harness.subscriptions.createContact({
        email: 'dana@example.com',
        phone: '+79123456789',
        groupIds: [news.id],
      });
      const page = await newPage(context);
      await signIn(page, harness, '/groups');

      await page.fill('#group-name', 'Offers');
      await page.fill('#group-system-name', 'offers');
      await page.fill('#group-description', 'Weekly deals');
      await Promise.all([page.waitForURL(/created=/), page.click('button:has-text("Create group")')]);
      expect(await page.locator('tr.highlight').textContent()).toContain('offers');
      await shot(page, 'groups');

      await page.goto(`${harness.baseUrl}/contacts`);
      await shot(page, 'contacts');
      await page.fill('#contact-email', 'DANA@example.com');
      await Promise.all([page.waitForURL(/\/contacts\/\d+$/), page.click('button:has-text("Find")')]);
      const offers = (await harness.store.findGroupBySystemName('offers'))!;
      const form = page.locator('form', { has: page.locator('input[name="channel"][value="email"]') });
      await form.locator(`input[name="group"][value="${news.id}"]`).uncheck();
      await form.locator(`input[name="group"][value="${offers.id}"]`).check();
      await Promise.all([page.waitForURL(/saved=email/), form.locator('button[type="submit"]').click()]);
      expect(await page.locator('#channel-email ~ .notice, .notice').first().textContent()).toContain(
        'joined 1, left 1',
      );
      await shot(page, 'contact');
      const events = (await harness.store.listOutbox({ limit: 50 })).map(
        (event) => JSON.parse(event.body).event,
      );
      expect(events.slice(-2)).toEqual(['mailing group subscribe', 'mailing group unsubscribe']);
      expect(harness.logged).toEqual([]);
    },
  );

  test('the session guard, CSRF refusal, API docs', { timeout: 90_000 }, async (context) => {
    const harness = await startConsole(context);
    const page = await newPage(context);
    for (const target of ['/settings/webhooks', '/deliveries', '/settings/pages', '/groups', '/contacts']) {
      await page.goto(`${harness.baseUrl}${target}`);
      const landed = new URL(page.url());
      expect(landed.pathname, target).toBe('/signin');
      expect(landed.searchParams.get('next'), target).toBe(target);
    }
    await signIn(page, harness, '/groups');
    // The same form, its CSRF field removed: refused with a 403 page, nothing created.
    await page.evaluate(() => document.querySelector('form.stack input[name="_csrf"]')?.remove());
    await page.fill('#group-name', 'Sneaky');
    await page.fill('#group-system-name', 'sneaky');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.click('button:has-text("Create group")'),
    ]);
    expect(response.status()).toBe(403);
    expect(await page.locator('h1').textContent()).toBe('Form refused');
    expect(await harness.store.listGroups()).toEqual([]);
    await shot(page, 'csrf-refused');

    // Sign out: the console is closed again.
    await Promise.all([page.waitForURL(/\/signin$/), page.click('button:has-text("Sign out")')]);
    await page.goto(`${harness.baseUrl}/groups`);
    expect(new URL(page.url()).pathname).toBe('/signin');

    await page.goto(`${harness.baseUrl}/api/docs`);
    expect(await page.locator('h1').textContent()).toContain('unsub API');
    await shot(page, 'api-docs', false); // the whole reference is very long
  });

  test(
    'accessible basics: labelled fields, visible focus, readable at 320 px',
    { timeout: 90_000 },
    async (context) => {
      const harness = await startConsole(context);
      const group = await harness.subscriptions.createGroup({
        name: 'A rather long group name for a narrow screen',
        systemName: 'long',
        channel: 'email',
      });
      const contact = await harness.subscriptions.createContact({
        email: 'a.very.long.address.for.testing@subdomain.example.com',
        groupIds: [group.id],
      });
      const page = await newPage(context, 320);
      await signIn(page, harness, '/settings/webhooks');
      const paths = [
        '/settings/webhooks',
        '/deliveries',
        '/settings/pages',
        '/groups',
        '/contacts',
        `/contacts/${contact.id}`,
        '/dashboard',
        '/audit',
      ];
      for (const target of paths) {
        await page.goto(`${harness.baseUrl}${target}`);
        // Nothing wider than the screen: no sideways scrolling of the page (tables scroll in place).
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, target).toBeLessThanOrEqual(0);
        const unlabelled = await page.evaluate(() =>
          [...document.querySelectorAll('input, select, textarea')]
            .filter((element) => (element as HTMLInputElement).type !== 'hidden')
            .filter(
              (element) =>
                ((element as HTMLInputElement).labels?.length ?? 0) === 0 &&
                !element.getAttribute('aria-label'),
            )
            .map((element) => element.outerHTML),
        );
        expect(unlabelled, target).toEqual([]);
        await shot(page, `narrow-${target.replace(/\W+/g, '-').replace(/^-|-$/g, '')}`);
      }
      // Keyboard: Tab reaches the skip link first, then the navigation, each with a visible outline.
      await page.goto(`${harness.baseUrl}/settings/webhooks`);
      const focused: { text: string; outline: string }[] = [];
      for (let i = 0; i < 3; i++) {
        await page.keyboard.press('Tab');
        focused.push(
          await page.evaluate(() => {
            const element = document.activeElement as HTMLElement;
            const style = getComputedStyle(element);
            return {
              text: element.textContent?.trim() ?? '',
              outline: `${style.outlineStyle} ${style.outlineWidth}`,
            };
          }),
        );
      }
      expect(focused.map((entry) => entry.text)).toEqual(['Skip to content', 'Dashboard', 'Webhooks']);
      for (const entry of focused) expect(entry.outline).toMatch(/^solid [1-9]/);
    },
  );
});
