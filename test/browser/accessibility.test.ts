/**
 * @module Accessibility of every public page in real Chromium, in English, Russian and Arabic:
 * axe-core (WCAG 2.1 A and AA rules) finds zero violations; the flows work with the keyboard alone
 * (Tab, Space, arrows and Enter — no clicks), the focused control always shows a visible outline,
 * and at 320 CSS px and at 200 % zoom (a 1280 px window at 200 % lays out at 640 CSS px) nothing
 * scrolls sideways. Arabic pages are right-to-left.
 */
import { AxeBuilder } from '@axe-core/playwright';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { expect, test, type TestContext } from 'vitest';
import { brandingSettingKey, createApp } from '../../src/http/index.js';
import { KeyRing, linkUrl, type LinkClaimsInput } from '../../src/links/index.js';
import type { Store } from '../../src/store/index.js';
import { createSubscriptions } from '../../src/subscriptions/index.js';
import { describeBrowser } from '../support/browser.js';
import { openTestStore, sqliteTestDatabase } from '../support/databases.js';

const wcagTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const locales = ['en', 'ru', 'ar'] as const;

/** A store with two e-mail groups (one named per locale), a contact in both, and the app over it. */
async function startApp(context: TestContext) {
  const store: Store = await openTestStore(context, await sqliteTestDatabase(context));
  const subscriptions = createSubscriptions({ store });
  const news = await subscriptions.createGroup({
    name: 'Новости',
    systemName: 'news',
    channel: 'email',
    names: { en: 'News', ar: 'الأخبار' },
  });
  const offers = await subscriptions.createGroup({
    name: 'Offers',
    systemName: 'offers',
    description: 'Weekly deals with a rather long description that has to wrap on a narrow phone screen',
    channel: 'email',
  });
  await store.setSetting(
    brandingSettingKey,
    { askReason: true, noticeText: 'Hello {{subscriber_firstname}}, we are sorry to see you go.' },
    Date.now(),
  );
  const keyRing = KeyRing.generate();
  const app = createApp({ store, subscriptions, keyRing, baseUrl: 'http://127.0.0.1', brandingCacheMs: 0 });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  context.onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const newContact = async (email: string) =>
    subscriptions.createContact({
      email,
      firstName: 'Ann',
      groupIds: [news.id, offers.id],
    });
  const link = (claims: Omit<LinkClaimsInput, 'channel' | 'groupIds'> & { groupIds?: number[] }) => {
    const full: LinkClaimsInput = { channel: 'email', groupIds: [], ...claims };
    return linkUrl(baseUrl, full, keyRing.signLink(full));
  };
  return { store, news, offers, baseUrl, newContact, link };
}

/** Runs axe on the page as it is; fails with the rule ids and targets of any violation. */
async function expectNoViolations(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(wcagTags).analyze();
  const violations = results.violations.map(
    (v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(violations, what).toEqual([]);
}

/** Nothing is wider than the viewport. */
async function expectNoSidewaysScroll(page: Page, what: string): Promise<void> {
  const widths = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  expect(widths.scroll, what).toBeLessThanOrEqual(widths.client);
}

/** Presses Tab until the focused element matches `selector`; checks its focus is visible. */
async function tabTo(page: Page, selector: string): Promise<void> {
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) {
      const outline = await page.evaluate(() => {
        const style = getComputedStyle(document.activeElement as Element);
        return { style: style.outlineStyle, width: parseFloat(style.outlineWidth) };
      });
      expect(outline.style, `focus outline of ${selector}`).not.toBe('none');
      expect(outline.width, `focus outline of ${selector}`).toBeGreaterThanOrEqual(2);
      return;
    }
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** Every check of one page as it is now: axe, and no sideways scroll at 320 px and at 200 % zoom. */
async function checkPage(page: Page, what: string): Promise<void> {
  await expectNoViolations(page, what);
  for (const width of [320, 640]) {
    await page.setViewportSize({ width, height: 720 });
    await expectNoSidewaysScroll(page, `${what} at ${width} px`);
  }
  await page.setViewportSize({ width: 1024, height: 768 });
}

describeBrowser('accessibility of the public pages in Chromium', (browser) => {
  /** A page in its own browser context (what axe-core/playwright needs to run). */
  const newPage = async (context: TestContext): Promise<Page> => {
    const browserContext = await browser().newContext({ viewport: { width: 1024, height: 768 } });
    context.onTestFinished(() => browserContext.close());
    return browserContext.newPage();
  };

  for (const locale of locales) {
    test(`${locale}: confirm → done → reason → undo, by keyboard, every page clean`, async (context) => {
      const app = await startApp(context);
      const contact = await app.newContact(`ann.${locale}@example.com`);
      const page = await newPage(context);

      await page.goto(app.link({ action: 'unsubscribe', contactId: contact.id, locale }));
      expect(await page.getAttribute('html', 'lang')).toBe(locale);
      expect(await page.getAttribute('html', 'dir')).toBe(locale === 'ar' ? 'rtl' : 'ltr');
      if (locale === 'ar') {
        // Mirrored: the card's text starts on the right.
        expect(await page.$eval('main', (el) => getComputedStyle(el).direction)).toBe('rtl');
      }
      await checkPage(page, `${locale} confirm`);

      await tabTo(page, 'main button[type=submit]');
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      expect(await page.textContent('main')).toContain(
        { en: 'You are unsubscribed', ru: 'Вы отписались', ar: 'تم إلغاء اشتراكك' }[locale],
      );
      expect((await app.store.getMemberships(contact.id)).map((m) => m.state)).toEqual([
        'unsubscribed',
        'unsubscribed',
      ]);
      await checkPage(page, `${locale} done`);

      // The reason: Tab to the first choice, arrow to "not relevant", Tab to Send, Enter.
      await tabTo(page, 'input[type=radio]');
      await page.keyboard.press('ArrowDown');
      await tabTo(page, 'form.reason button');
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      expect((await app.store.getMemberships(contact.id))[0]?.reason).toEqual({ code: 'not_relevant' });
      await checkPage(page, `${locale} done with thanks`);

      await tabTo(page, 'form.undo button');
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      expect((await app.store.getMemberships(contact.id)).map((m) => m.state)).toEqual([
        'subscribed',
        'subscribed',
      ]);
      await checkPage(page, `${locale} undone`);

      // Undo again: nothing left to undo, a clear 409 page.
      const again = await page.request.post(page.url(), { form: { undo: '1' } });
      expect(again.status()).toBe(409);
      await page.goto(`${app.baseUrl}/u/not-a-valid-token?lang=${locale}`);
      await checkPage(page, `${locale} invalid link`);
    });

    test(`${locale}: manager by keyboard, language switcher by keyboard`, async (context) => {
      const app = await startApp(context);
      const contact = await app.newContact(`bob.${locale}@example.com`);
      const page = await newPage(context);

      await page.goto(app.link({ action: 'manage', contactId: contact.id, locale }));
      await checkPage(page, `${locale} manager`);
      await tabTo(page, `input[type=checkbox][value="${app.offers.id}"]`);
      await page.keyboard.press('Space');
      await tabTo(page, 'main button[type=submit]');
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      expect((await app.store.getMemberships(contact.id)).map((m) => m.state)).toEqual([
        'subscribed',
        'unsubscribed',
      ]);
      expect(await page.textContent('[role=status]')).toContain(
        { en: 'Saved.', ru: 'Сохранено.', ar: 'تم الحفظ.' }[locale],
      );
      await checkPage(page, `${locale} manager saved`);

      // Switch the language: Tab to the select, pick the next language with the arrow, Tab, Enter.
      await page.goto(app.link({ action: 'manage', contactId: contact.id, locale }));
      await tabTo(page, 'select#lang');
      const next = await page.$eval('select#lang', (select) => {
        const options = (select as HTMLSelectElement).options;
        return options[(select as HTMLSelectElement).selectedIndex + 1]?.value;
      });
      await page.keyboard.press('ArrowDown');
      await tabTo(page, 'form.lang button');
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      expect(await page.getAttribute('html', 'lang')).toBe(next);
      expect(page.url()).toContain('/m/');
      expect(page.url()).toContain(`lang=${next}`);
    });
  }
});
