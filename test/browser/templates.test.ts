/**
 * @module The console's Templates page in real Chromium: a new template is refused with its lint
 * problems beside the editor (part, line and column), Check finds them without saving, the preview
 * follows the editor for a chosen contact in a sandboxed frame where no script runs, the subject and
 * List-Unsubscribe headers are shown, saving makes versions, and an earlier version is re-activated.
 * Screenshots go to test/artifacts/console/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page, Request } from 'playwright-core';
import { expect, test } from 'vitest';
import { adminToken, startConsole } from '../http/consoleHarness.js';
import { describeBrowser } from '../support/browser.js';

const artifacts = path.join(import.meta.dirname, '..', 'artifacts', 'console');
mkdirSync(artifacts, { recursive: true });

let browser: () => Browser;

async function newPage(context: { onTestFinished(fn: () => Promise<void>): void }): Promise<Page> {
  const browserContext = await browser().newContext({ viewport: { width: 1280, height: 1000 } });
  context.onTestFinished(() => browserContext.close());
  return browserContext.newPage();
}

describeBrowser('the Templates page in Chromium', (launched) => {
  browser = launched;

  test(
    'lint beside the editor, live preview for a contact, versions with re-activate',
    { timeout: 120_000 },
    async (context) => {
      const harness = await startConsole(context);
      const news = await harness.subscriptions.createGroup({
        name: 'Новости',
        systemName: 'news',
        channel: 'email',
      });
      await harness.subscriptions.createContact({
        email: 'ann@example.com',
        firstName: 'Ann',
        groupIds: [news.id],
      });
      const bob = await harness.subscriptions.createContact({
        email: 'bob@example.com',
        firstName: 'Bob',
        groupIds: [news.id],
      });
      const page = await newPage(context);
      await page.goto(`${harness.baseUrl}/templates`);
      expect(new URL(page.url()).searchParams.get('next')).toBe('/templates');
      await page.fill('#token', adminToken);
      await Promise.all([
        page.waitForURL(`${harness.baseUrl}/templates`),
        page.click('main button[type="submit"]'),
      ]);
      expect(await page.locator('nav a[aria-current="page"]').textContent()).toBe('Templates');
      await Promise.all([
        page.waitForURL(/\/templates\/new$/),
        page.click('main a:has-text("New template")'),
      ]);

      // A first draft with three problems: Check lists them with part, line and column; nothing is saved.
      await page.fill('#template-name', 'Weekly');
      await page.fill('#template-subject', 'Hi {{first_name}} <<link_unsubscribe>>');
      await page.fill('#template-html', '<p>Hello {{first_name}}</p>\n<p>{{#if vip}}VIP</p>');
      await page.click('button.check');
      const problems = page.locator('#template-problems li.error-item');
      await problems.first().waitFor();
      const texts = await problems.allTextContents();
      expect(texts[0]).toContain('subject:1:19 tag_in_subject');
      expect(texts.some((text) => text.startsWith('html:1:1 missing_unsubscribe'))).toBe(true);
      expect(texts.some((text) => /^html:2:\d+ handlebars_syntax/.test(text))).toBe(true);
      await page.screenshot({ path: path.join(artifacts, 'template-problems.png'), fullPage: true });

      // Saving it anyway: refused (422), the problems beside the editor, the fields kept.
      const [refused] = await Promise.all([
        page.waitForResponse(
          (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/templates',
        ),
        page.click('button.primary:has-text("Save")'),
      ]);
      expect(refused.status()).toBe(422);
      expect(await page.locator('#template-problems li.error-item').count()).toBe(3);
      expect(await page.inputValue('#template-name')).toBe('Weekly');
      expect(await harness.store.listTemplates()).toEqual([]);

      // Fixed: the preview follows the editor for the chosen contact; no script runs in the frame.
      await page.fill('#template-subject', 'Hi {{first_name}}');
      await page.fill(
        '#template-html',
        '<p>Hello {{first_name}}</p><script>document.title="pwned"</script>\n' +
          '<p><a href="<<link_unsubscribe>>">Unsubscribe</a></p>',
      );
      await page.selectOption('#template-contact', String(bob.id));
      await page.locator('#template-problems p.verdict.ok').waitFor();
      const frame = page.frameLocator('#template-preview');
      await frame.locator('p', { hasText: 'Hello Bob' }).waitFor();
      expect(await page.locator('#template-preview').getAttribute('sandbox')).toBe('');
      const frameTitle = await page
        .frame({ name: 'template-preview' })
        ?.evaluate(() => document.title)
        .catch(() => 'blocked');
      expect(frameTitle).not.toBe('pwned');
      await page.locator('#preview-subject', { hasText: 'Hi Bob' }).waitFor();
      expect(await page.locator('#preview-list-unsubscribe').textContent()).toMatch(
        new RegExp(`^<${harness.baseUrl}/u/[\\w.-]+>$`),
      );
      expect(await page.locator('#preview-list-unsubscribe-post').textContent()).toBe(
        'List-Unsubscribe=One-Click',
      );
      expect(await page.locator('#preview-text').textContent()).toContain(
        `Unsubscribe [${harness.baseUrl}/u/`,
      );
      await page.screenshot({ path: path.join(artifacts, 'template-preview.png'), fullPage: true });

      await Promise.all([
        page.waitForURL(/\/templates\/\d+\?saved=1$/),
        page.click('button.primary:has-text("Save")'),
      ]);
      expect(await page.locator('p.notice').textContent()).toContain('Saved as version 1');
      const [stored] = await harness.store.listTemplates();
      expect(stored).toMatchObject({ name: 'Weekly', subject: 'Hi {{first_name}}', version: 1 });

      // A second version, then version 1 re-activated from the versions table. The second is
      // saved while a check starts in the same moment (the editor's debounce firing just after the
      // click): once the form is submitted, no check or preview goes out that could resubmit it.
      await page.fill('#template-subject', 'Weekly news for {{first_name}}');
      // Every POST but the main page's own (the save): checks (fetch) and previews (into the frame).
      const afterSave: string[] = [];
      const count = (request: Request) => {
        const ownPage = request.resourceType() === 'document' && request.frame() === page.mainFrame();
        if (request.method() === 'POST' && !ownPage) afterSave.push(request.url());
      };
      page.on('request', count);
      // (The URL already ends in saved=1: wait for the page the save loads, not for the URL.)
      await Promise.all([
        page.waitForEvent('load', { timeout: 10_000 }),
        page.evaluate(() => {
          const buttons = [...document.querySelectorAll<HTMLButtonElement>('#template-form button')];
          buttons.find((button) => button.textContent?.trim() === 'Save')?.click();
          document.querySelector<HTMLButtonElement>('#template-form button.check')?.click();
        }),
      ]);
      page.off('request', count);
      expect(afterSave).toEqual([]);
      expect(page.url()).toMatch(/\/templates\/\d+\?saved=1$/);
      expect(await page.locator('p.notice').textContent()).toContain('Saved as version 2');
      const rows = page.locator('section[aria-labelledby="template-versions-title"] tbody tr');
      expect(await rows.count()).toBe(2);
      await Promise.all([
        page.waitForURL(/activated=1$/),
        rows.nth(1).locator('button:has-text("Activate")').click(),
      ]);
      expect(await page.locator('p.notice').textContent()).toContain('Version 1 is the active version now');
      expect((await harness.store.getTemplate(stored!.id))?.subject).toBe('Hi {{first_name}}');
      expect(await page.inputValue('#template-subject')).toBe('Hi {{first_name}}');
      await page.screenshot({ path: path.join(artifacts, 'template-versions.png'), fullPage: true });

      await page.goto(`${harness.baseUrl}/templates`);
      expect(await page.locator('main table tbody tr').count()).toBe(1);
      expect(await page.locator('main table tbody td').nth(4).textContent()).toBe('1 of 2');
      expect(harness.logged).toEqual([]);
    },
  );
});
