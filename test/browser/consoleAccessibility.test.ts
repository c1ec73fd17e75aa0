/**
 * @module Accessibility and languages of every console page in real Chromium. The console speaks
 * `en` and `ru`; a browser asking for `ar` gets the default, `en` (asserted). For each of the three:
 * every page (signed out and in, with data, an error page too) has `<html lang>` and
 * `Content-Language` of the language it speaks, axe-core (WCAG 2.1 A and AA rules) finds zero
 * violations, and at 320 CSS px and at 200 % zoom nothing scrolls sideways. 200 % zoom is a
 * 1280 px wide window at twice the size: it lays out at 640 CSS px, so the test sets a 640 px
 * viewport (the same method as the public pages' test). Then, with the keyboard alone (Tab, Space,
 * arrows, Enter, typing — no clicks): sign in, switch the language, create a template and save it,
 * and erase a contact through its typed confirmation; every control reached shows a visible focus
 * outline.
 */
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { expect, test, type TestContext } from 'vitest';
import { createMessageTemplates } from '../../src/messageTemplates/index.js';
import { adminToken, startConsole } from '../http/consoleHarness.js';
import { describeBrowser } from '../support/browser.js';
import { startWebhookReceiver } from '../support/webhookReceiver.js';

const wcagTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** What a browser asks for → what the console answers in. */
const languages = [
  { asked: 'en', speaks: 'en' },
  { asked: 'ru', speaks: 'ru' },
  { asked: 'ar', speaks: 'en' },
] as const;

/** A console with something on every page: groups, contacts (one left with a reason), a failing endpoint with deliveries, a template, the autovacuum warning. */
async function startFilledConsole(context: TestContext) {
  const harness = await startConsole(context);
  const { store, subscriptions } = harness;
  const failing = await startWebhookReceiver((_request, response) => response.writeHead(500).end('boom'));
  context.onTestFinished(() => failing.close());
  const secret = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
  await store.putEndpoint({ eventType: null, url: `${failing.origin}/all`, secret, at: Date.now() });
  const news = await subscriptions.createGroup({
    name: 'Новости',
    systemName: 'news',
    description: 'Weekly news with a rather long description that has to wrap on a narrow phone screen',
    channel: 'email',
  });
  await subscriptions.createGroup({ name: 'Alerts', systemName: 'alerts', channel: 'sms' });
  const ann = await subscriptions.createContact({
    email: 'ann.with.a.rather.long.address@example.com',
    firstName: 'Ann',
    phone: '+79123456789',
    groupIds: [news.id],
  });
  await subscriptions.unsubscribe({ contactId: ann.id, channel: 'email', groupIds: 'all', source: 'link' });
  const bob = await subscriptions.createContact({ email: 'bob@example.com', groupIds: [news.id] });
  await harness.dispatcher.runOnce();
  await harness.dispatcher.runOnce();
  const template = await createMessageTemplates({ store }).create({
    name: 'Welcome',
    channel: 'email',
    subject: 'Hello {{first_name}}',
    html: '<p>Hello {{first_name}}. <a href="<<link_unsubscribe>>">Unsubscribe</a></p>',
    text: null,
  });
  const deliveries = await store.listDeliveries({ limit: 1 });
  // As a PostgreSQL store answers on a server without autovacuum: Settings ➔ Retention shows its warning.
  store.databaseMaintenance = () => Promise.resolve({ autovacuum: false });
  return { harness, ann, bob, templateId: template.id, deliveryId: deliveries[0]?.id ?? 1 };
}

/** Every console page a signed-in sender can open. */
function consolePages(app: Awaited<ReturnType<typeof startFilledConsole>>): string[] {
  return [
    '/dashboard',
    '/settings/webhooks',
    '/deliveries',
    `/deliveries/${app.deliveryId}`,
    '/settings/pages',
    '/groups',
    '/contacts',
    `/contacts/${app.ann.id}`,
    '/templates',
    '/templates/new',
    `/templates/${app.templateId}`,
    '/audit',
    '/settings/retention',
    '/deliveries/999999',
  ];
}

/**
 * Runs axe on the page as it is; fails with the rule ids and targets of any violation. The preview
 * frames are left out: they show the recipient pages (checked by `accessibility.test.ts`) and the
 * sender's own message, in sandboxes where no script may run — axe's neither; their frame titles
 * are checked by `checkPage`.
 */
async function expectNoViolations(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(wcagTags).exclude('iframe.preview-frame').analyze();
  expect(results.passes.length, `${what}: axe ran its rules`).toBeGreaterThan(0);
  const violations = results.violations.map(
    (v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(violations, what).toEqual([]);
}

/**
 * Two animation frames: what reacts to a new viewport (Chart.js resizes its canvas from a
 * ResizeObserver) has run by then. A wait for an event, not a timing threshold.
 */
async function settled(page: Page): Promise<void> {
  await page.evaluate(
    () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
  );
}

/** axe, then no sideways scroll at 320 px and at 200 % zoom (640 CSS px of a 1280 px window). */
async function checkPage(page: Page, what: string): Promise<void> {
  await expectNoViolations(page, what);
  for (const title of await page.$$eval('iframe', (frames) => frames.map((frame) => frame.title)))
    expect(title, `${what}: every frame has a title`).not.toBe('');
  for (const width of [320, 640]) {
    await page.setViewportSize({ width, height: 720 });
    await settled(page);
    const widths = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    expect(widths.scroll, `${what} at ${width} px`).toBeLessThanOrEqual(widths.client);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/**
 * Sentences of the page's own words that read as English: the page's text without the sender's
 * data (table cells, definitions, code, form values, options) searched for English function words.
 */
async function englishLeft(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const copy = document.body.cloneNode(true) as HTMLElement;
    for (const data of copy.querySelectorAll('td, dd, code, pre, textarea, option, iframe, h1.wrap, .facts'))
      data.remove();
    const text = copy.innerText || copy.textContent || '';
    return text
      .split(/\n+/)
      .filter((line) => /\b(the|and|of|to|is|yet|with|for|from|this|your|no|not|every|saved)\b/i.test(line));
  });
}

/** Presses Tab until the focused element matches `selector`; checks its focus is visible. */
async function tabTo(page: Page, selector: string, limit = 80): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) {
      const focus = await page.evaluate(() => {
        const style = getComputedStyle(document.activeElement as Element);
        return {
          outline: style.outlineStyle,
          width: parseFloat(style.outlineWidth),
          shadow: style.boxShadow,
        };
      });
      const visible = (focus.outline !== 'none' && focus.width >= 2) || focus.shadow !== 'none';
      expect(visible, `visible focus on ${selector}: ${JSON.stringify(focus)}`).toBe(true);
      return;
    }
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** Enter on the focused control, waiting for the page it leads to. */
async function pressEnterAndWait(page: Page): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
}

describeBrowser('the console in en and ru, accessible, in Chromium', (browser: () => Browser) => {
  const newPage = async (context: TestContext, acceptLanguage: string): Promise<Page> => {
    const browserContext = await browser().newContext({
      viewport: { width: 1280, height: 900 },
      extraHTTPHeaders: { 'Accept-Language': acceptLanguage },
    });
    context.onTestFinished(() => browserContext.close());
    return browserContext.newPage();
  };

  for (const { asked, speaks } of languages) {
    test(
      `Accept-Language: ${asked} → every console page in ${speaks}, axe-clean, no sideways scroll`,
      { timeout: 240_000 },
      async (context) => {
        const app = await startFilledConsole(context);
        const page = await newPage(context, asked);

        const signIn = await page.goto(`${app.harness.baseUrl}/signin`);
        expect(signIn?.headers()['content-language']).toBe(speaks);
        expect(signIn?.headers()['vary']).toMatch(/Accept-Language/i);
        expect(await page.getAttribute('html', 'lang')).toBe(speaks);
        await checkPage(page, `${asked} sign-in`);
        await page.fill('#token', 'wrong token');
        await pressEnterAndWait(page);
        expect(await page.getAttribute('#token', 'aria-invalid')).toBe('true');
        await checkPage(page, `${asked} sign-in refused`);
        await page.fill('#token', adminToken);
        await pressEnterAndWait(page);

        for (const path of consolePages(app)) {
          const response = await page.goto(`${app.harness.baseUrl}${path}`);
          expect(new URL(page.url()).pathname, path).toBe(path);
          expect(response?.headers()['content-language'], path).toBe(speaks);
          expect(await page.getAttribute('html', 'lang'), path).toBe(speaks);
          if (path === '/dashboard') {
            for (const name of ['unsubscribes', 'sources', 'deliveries', 'latency'])
              await page.waitForSelector(`[data-chart="${name}"][data-state="drawn"]`);
            // Each chart says in words what it shows.
            expect(await page.textContent('[data-chart="unsubscribes"] figcaption')).toMatch(/\d/);
          }
          if (speaks === 'ru') {
            const nav = (await page.textContent('header nav')) ?? '';
            expect(nav, path).toMatch(/Сводка.*Вебхуки.*Доставки/s);
            expect(await englishLeft(page), path).toEqual([]);
          } else if (path === '/settings/retention') {
            // The same search finds the English page's own sentences (it is not blind).
            expect(await englishLeft(page), path).not.toEqual([]);
          }
          await checkPage(page, `${asked} ${path}`);
        }

        // A form shown again with its errors (a POST answer) is checked too.
        await page.goto(`${app.harness.baseUrl}/groups`);
        await page.fill('#group-name', 'Duplicate');
        await page.fill('#group-system-name', 'news');
        await pressEnterAndWait(page);
        expect(await page.getAttribute('#group-system-name', 'aria-invalid')).toBe('true');
        await checkPage(page, `${asked} group refused`);
        expect(app.harness.logged).toEqual([]);
      },
    );
  }

  test(
    'keyboard only: sign in, switch to Russian (remembered), create and save a template, delete it (confirmed)',
    { timeout: 120_000 },
    async (context) => {
      const app = await startFilledConsole(context);
      const page = await newPage(context, 'en-GB,en;q=0.9');
      const base = app.harness.baseUrl;

      await page.goto(`${base}/templates`);
      expect(new URL(page.url()).pathname).toBe('/signin');
      await tabTo(page, '#token');
      await page.keyboard.type(adminToken);
      await tabTo(page, 'main button[type=submit]');
      await pressEnterAndWait(page);
      expect(new URL(page.url()).pathname).toBe('/templates');
      expect(await page.getAttribute('html', 'lang')).toBe('en');
      // The switch: Tab to the select, the next language with the arrow, Tab to its button, Enter.
      await tabTo(page, 'select#console-lang');
      await page.keyboard.press('ArrowDown');
      expect(await page.$eval('select#console-lang', (s) => (s as HTMLSelectElement).value)).toBe('ru');
      await tabTo(page, 'form.lang button');
      await pressEnterAndWait(page);
      expect(await page.getAttribute('html', 'lang')).toBe('ru');
      expect(new URL(page.url()).pathname).toBe('/templates');
      expect(await page.textContent('h1')).toBe('Шаблоны');
      // Remembered: a page without ?lang= (and an English browser) stays Russian.
      await page.goto(`${base}/groups`);
      expect(await page.getAttribute('html', 'lang')).toBe('ru');
      expect(await page.textContent('h1')).toBe('Группы');
      // A new template, typed and saved with the keyboard alone.
      await page.goto(`${base}/templates`);
      await tabTo(page, 'main a[href="/templates/new"]');
      await pressEnterAndWait(page);
      await tabTo(page, '#template-name');
      await page.keyboard.type('Keyboard letter');
      await tabTo(page, '#template-subject');
      await page.keyboard.type('Привет, {{first_name}}');
      await tabTo(page, '#template-html');
      await page.keyboard.type('<p>Привет! <a href="<<link_unsubscribe>>">Отписаться</a></p>');
      await tabTo(page, 'button.primary');
      await pressEnterAndWait(page);
      expect(page.url()).toMatch(/\/templates\/\d+\?saved=1$/);
      expect(await page.textContent('p.notice')).toContain('Сохранено как версия 1');
      const stored = await createMessageTemplates({ store: app.harness.store }).list();
      expect(stored.map((template) => template.name)).toContain('Keyboard letter');
      await checkPage(page, 'ru template saved');

      // Deleting takes every version: Enter on the button alone brings the page back with the
      // reason and keeps the template; Space ticks the confirmation, then Enter deletes.
      const savedUrl = page.url();
      await tabTo(page, '#delete-form button.danger');
      await pressEnterAndWait(page);
      expect(page.url()).toMatch(/\/templates\/\d+\?delete=unconfirmed#delete-form$/);
      expect(await page.textContent('#delete-error')).toContain('Шаблон не удалён');
      expect(await page.getAttribute('#delete-form input[name=confirm]', 'aria-invalid')).toBe('true');
      await checkPage(page, 'ru template delete unconfirmed');
      const kept = await createMessageTemplates({ store: app.harness.store }).list();
      expect(kept.map((template) => template.name)).toContain('Keyboard letter');
      await tabTo(page, '#delete-form input[name=confirm]');
      await page.keyboard.press('Space');
      await tabTo(page, '#delete-form button.danger');
      await pressEnterAndWait(page);
      expect(new URL(page.url()).pathname).toBe('/templates');
      expect(page.url()).not.toBe(savedUrl);
      const left = await createMessageTemplates({ store: app.harness.store }).list();
      expect(left.map((template) => template.name)).not.toContain('Keyboard letter');
    },
  );

  for (const locale of ['en', 'ru'] as const) {
    test(
      `${locale}, keyboard only: Space unticks a list; erasing a contact needs its typed address`,
      { timeout: 120_000 },
      async (context) => {
        const app = await startFilledConsole(context);
        const page = await newPage(context, locale);
        const base = app.harness.baseUrl;
        await page.goto(`${base}/contacts/${app.bob.id}`);
        await tabTo(page, '#token');
        await page.keyboard.type(adminToken);
        await page.keyboard.press('Enter');
        await page.waitForURL(`${base}/contacts/${app.bob.id}`);

        // Space unticks a list, Enter on its Save applies it.
        await tabTo(page, 'input[type=checkbox][name=group]');
        await page.keyboard.press('Space');
        await tabTo(page, 'form button.primary');
        await pressEnterAndWait(page);
        expect(await page.textContent('[role=status]')).toContain(
          { en: 'Saved: joined 0, left 1.', ru: 'отписок — 1' }[locale],
        );
        expect((await app.harness.store.getMemberships(app.bob.id)).map((m) => m.state)).toEqual([
          'unsubscribed',
        ]);

        // A wrong confirmation erases nobody and says why, beside the field.
        await tabTo(page, '#confirm-email');
        await page.keyboard.type('someone@example.com');
        await tabTo(page, 'button.danger');
        await pressEnterAndWait(page);
        expect(await page.getAttribute('#confirm-email', 'aria-invalid')).toBe('true');
        expect(await page.textContent('#confirm-error')).toContain(
          { en: 'Not erased', ru: 'Контакт не стёрт' }[locale],
        );
        expect(await app.harness.store.getContact(app.bob.id)).toBeDefined();
        await checkPage(page, `${locale} erase refused`);

        await tabTo(page, '#confirm-email');
        await page.keyboard.type('bob@example.com');
        await tabTo(page, 'button.danger');
        await pressEnterAndWait(page);
        expect(new URL(page.url()).pathname).toBe('/contacts');
        expect(await page.textContent('[role=status]')).toContain(
          { en: 'Contact erased', ru: 'Контакт стёрт' }[locale],
        );
        expect(await app.harness.store.getContact(app.bob.id)).toBeUndefined();
        await checkPage(page, `${locale} contact erased`);
      },
    );
  }
});
