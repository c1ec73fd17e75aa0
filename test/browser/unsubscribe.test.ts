/**
 * @module Browser test in real Chromium (playwright-core + the system's chromium): render
 * `examples/newsletter.hbs` for a contact, open the rendered e-mail, follow its links — confirm an
 * unsubscribe and see the result; untick a group in the manager, save, open it again: the ticks
 * persist. No CSP violations; screenshots of each page under test/artifacts/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect, test } from 'vitest';
import { createApp } from '../../src/http/index.js';
import { KeyRing } from '../../src/links/index.js';
import { compile, parseGroupCatalog, render, type Recipient } from '../../src/template/index.js';
import { createSubscriptions } from '../../src/subscriptions/index.js';
import { packageRoot } from '../../src/version.js';
import { describeBrowser } from '../support/browser.js';
import { openTestStore, sqliteTestDatabase } from '../support/databases.js';

const artifacts = path.join(packageRoot, 'test', 'artifacts');
const example = (name: string) => readFileSync(path.join(packageRoot, 'examples', name), 'utf8');
mkdirSync(artifacts, { recursive: true });

describeBrowser('unsubscribe pages in Chromium', (browser) => {
  test('links from a rendered newsletter: confirm, result, manager ticks persist', async (context) => {
    const store = await openTestStore(context, await sqliteTestDatabase(context));
    const subscriptions = createSubscriptions({ store });
    // The example catalogue, created in order so the ids match examples/groups.json.
    const catalog = JSON.parse(example('groups.json')) as {
      id: number;
      name: string;
      systemName: string;
      description: string;
      channel: 'email' | 'sms';
    }[];
    for (const { id, ...group } of catalog) expect((await subscriptions.createGroup(group)).id).toBe(id);
    const recipient = JSON.parse(example('recipients.ndjson').split('\n')[0] as string) as Recipient;
    const contact = await subscriptions.createContact({
      email: recipient.email as string,
      firstName: recipient.first_name as string,
      groupIds: [1, 2, 3, 4],
    });
    expect(contact.id).toBe(recipient.contactId);

    const keyRing = KeyRing.generate();
    const app = createApp({ store, subscriptions, keyRing, baseUrl: 'http://127.0.0.1' });
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    context.onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const compiled = compile(example('newsletter.hbs'), { groups: parseGroupCatalog(catalog) });
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
    const email = render(compiled.template, recipient, undefined, {
      keyRing,
      baseUrl,
      messageUid: 'browser-1',
    });

    const page = await browser().newPage({ viewport: { width: 800, height: 700 } });
    context.onTestFinished(() => page.close());
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    // The e-mail as a mail client shows it; its links go to the app.
    await page.setContent(email.html);
    await page.click('a:has-text("Unsubscribe from all Northwind e-mail")');
    await page.waitForURL(/\/u\//);
    expect(await page.textContent('h1')).toBe('Unsubscribe');
    expect(await page.textContent('main')).toContain('r***@example.com');
    // The stylesheet loaded (CSP allows it): the card has its border radius.
    expect(await page.$eval('main', (el) => getComputedStyle(el).borderRadius)).toBe('12px');
    await page.screenshot({ path: path.join(artifacts, 'unsubscribe-confirm.png') });
    expect((await store.getMemberships(contact.id, 'email')).every((m) => m.state === 'subscribed')).toBe(
      true,
    );

    await page.click('main button[type="submit"]');
    await page.waitForSelector('h1:text-is("You are unsubscribed")');
    const result = (await page.textContent('main')) ?? '';
    for (const name of ['Новости', 'Offers & Promotions', 'Product updates', 'Events & Webinars']) {
      expect(result).toContain(name);
    }
    await page.screenshot({ path: path.join(artifacts, 'unsubscribe-done.png') });

    // Re-join everything, then use the manager link of the same e-mail.
    await subscriptions.subscribe({
      contactId: contact.id,
      channel: 'email',
      groupIds: [1, 2, 3, 4],
      source: 'test',
    });
    await page.goto('about:blank'); // setContent on our page would inherit its CSP
    await page.setContent(email.html);
    await page.click('a:has-text("Choose which e-mails you get")');
    await page.waitForURL(/\/m\//);
    const managerUrl = page.url();
    const box = (id: number) => page.locator(`input[name="group"][value="${id}"]`);
    for (const id of [1, 2, 3, 4]) expect(await box(id).isChecked()).toBe(true);
    await page.screenshot({ path: path.join(artifacts, 'manager.png') });
    await box(2).uncheck();
    await box(4).uncheck();
    await page.click('main button[type="submit"]');
    await page.waitForSelector('.saved');
    expect(await page.textContent('.saved')).toContain(
      'Unsubscribed from: Offers & Promotions and Events & Webinars',
    );
    await page.screenshot({ path: path.join(artifacts, 'manager-saved.png') });

    await page.goto(managerUrl);
    expect(await Promise.all([1, 2, 3, 4].map((id) => box(id).isChecked()))).toEqual([
      true,
      false,
      true,
      false,
    ]);
    expect((await store.getMemberships(contact.id, 'email')).map((m) => [m.group.id, m.state])).toEqual([
      [1, 'subscribed'],
      [2, 'unsubscribed'],
      [3, 'subscribed'],
      [4, 'unsubscribed'],
    ]);
    expect(problems).toEqual([]);
  });
});
