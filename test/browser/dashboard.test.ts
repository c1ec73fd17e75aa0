/**
 * @module The dashboard in real Chromium: after sign-in it is the first page; its charts are drawn
 * by Chart.js (served by the app, under its CSP) from real data — unsubscribes made through the
 * subscription commands, deliveries really attempted against a good and a failing receiver — and
 * the numbers in the charts are the numbers of the stats routes. Keeps a screenshot.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { adminToken, startConsole } from '../http/consoleHarness.js';
import { describeBrowser } from '../support/browser.js';
import { startWebhookReceiver } from '../support/webhookReceiver.js';

const artifacts = path.join(import.meta.dirname, '..', 'artifacts', 'console');
mkdirSync(artifacts, { recursive: true });

type ChartData = { labels: string[]; datasets: { label: string; data: (number | null)[] }[] };

/** The data a chart on the page was drawn with (Chart.js keeps it on the instance). */
function chartData(page: Page, canvasId: string): Promise<ChartData> {
  return page.evaluate((id) => {
    const chart = (
      window as unknown as { Chart: { getChart(id: string): { data: ChartData } | undefined } }
    ).Chart.getChart(id);
    if (!chart) throw new Error(`no chart on #${id}`);
    return JSON.parse(JSON.stringify(chart.data)) as ChartData;
  }, canvasId);
}

/** True when the canvas has pixels that are not transparent (something was painted). */
function painted(page: Page, canvasId: string): Promise<boolean> {
  return page.evaluate((id) => {
    const canvas = document.getElementById(id) as HTMLCanvasElement;
    const pixels = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
    for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] ?? 0) > 0) return true;
    return false;
  }, canvasId);
}

const sum = (values: (number | null)[]) => values.reduce<number>((total, value) => total + (value ?? 0), 0);

let browser: () => Browser;

describeBrowser('the dashboard in Chromium', (launched) => {
  browser = launched;
  test(
    'draws its charts from real data, the endpoint selector redraws, screenshot kept',
    { timeout: 90_000 },
    async (context) => {
      const harness = await startConsole(context);
      const { store, subscriptions, dispatcher, baseUrl } = harness;
      const good = await startWebhookReceiver();
      const failing = await startWebhookReceiver((_request, response) => response.writeHead(500).end('down'));
      context.onTestFinished(async () => {
        await good.close();
        await failing.close();
      });
      const secret = 'whsec_' + Buffer.alloc(24, 5).toString('base64');
      await store.putEndpoint({ eventType: null, url: `${good.origin}/all`, secret, at: Date.now() });
      const broken = await store.putEndpoint({
        eventType: 'contact adding',
        url: `${failing.origin}/contacts`,
        secret,
        at: Date.now(),
      });
      const news = await subscriptions.createGroup({ name: 'Новости', systemName: 'news', channel: 'email' });
      const promo = await subscriptions.createGroup({
        name: 'Offers',
        systemName: 'offers',
        channel: 'email',
      });
      for (let n = 0; n < 6; n += 1) {
        const contact = await subscriptions.createContact({
          email: `reader${n}@example.com`,
          groupIds: [news.id, promo.id],
        });
        await subscriptions.unsubscribe({
          contactId: contact.id,
          channel: 'email',
          groupIds: n % 3 === 0 ? 'all' : [news.id],
          source: n % 2 === 0 ? 'link' : 'one-click',
        });
      }
      await dispatcher.runOnce();
      await dispatcher.runOnce();
      expect(failing.requests.length).toBe(6);

      const browserContext = await browser().newContext({ viewport: { width: 1280, height: 900 } });
      context.onTestFinished(() => browserContext.close());
      const page = await browserContext.newPage();
      const problems: string[] = [];
      // Every failed request (the browser's own favicon probe aside) and script error is a problem.
      page.on('response', (response) => {
        if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) {
          problems.push(`${response.status()} ${response.url()}`);
        }
      });
      page.on('pageerror', (error) => problems.push(error.message));

      // The first page after sign-in is the dashboard.
      await page.goto(`${baseUrl}/signin`);
      await page.fill('#token', adminToken);
      await Promise.all([page.waitForURL(`${baseUrl}/dashboard`), page.click('main button[type="submit"]')]);
      for (const name of ['unsubscribes', 'sources', 'deliveries', 'latency']) {
        await page.waitForSelector(`[data-chart="${name}"][data-state="drawn"]`);
      }

      const unsubscribes = await chartData(page, 'chart-unsubscribes');
      expect(unsubscribes.labels).toHaveLength(30);
      expect(unsubscribes.datasets.map((set) => set.label).sort()).toEqual(['Offers', 'Новости']);
      const byGroup = Object.fromEntries(unsubscribes.datasets.map((set) => [set.label, sum(set.data)]));
      expect(byGroup).toEqual({ Новости: 6, Offers: 2 });
      const sources = await chartData(page, 'chart-sources');
      expect(
        Object.fromEntries(sources.labels.map((label, n) => [label, sources.datasets[0]?.data[n]])),
      ).toEqual({
        link: 4,
        'one-click': 4,
      });
      // Split by source: only the one-click unsubscribes (readers 1, 3 (both groups) and 5).
      await page.selectOption('#unsubscribe-source', 'one-click');
      const oneClick = await chartData(page, 'chart-unsubscribes');
      expect(sum(oneClick.datasets.flatMap((set) => set.data))).toBe(4);

      const deliveries = await chartData(page, 'chart-deliveries');
      const outcome = (data: ChartData, label: string) =>
        sum(data.datasets.find((set) => set.label === label)?.data ?? []);
      // 6 contact adding (failing endpoint) + 8 unsubscribes (common endpoint).
      expect(outcome(deliveries, 'delivered')).toBe(8);
      expect(outcome(deliveries, 'failed')).toBe(6);
      await page.selectOption('#delivery-endpoint', String(broken.id));
      await page.waitForFunction(() => {
        const chart = (
          window as unknown as { Chart: { getChart(id: string): { data: ChartData } | undefined } }
        ).Chart.getChart('chart-deliveries');
        return (
          chart?.data.datasets.find((set) => set.label === 'delivered')?.data.every((value) => !value) ??
          false
        );
      });
      expect(outcome(await chartData(page, 'chart-deliveries'), 'failed')).toBe(6);
      const latency = await chartData(page, 'chart-latency');
      expect(latency.datasets.map((set) => set.label)).toEqual(['p50 ms', 'p99 ms']);
      expect(latency.datasets[1]?.data.at(-1)).toEqual(expect.any(Number));
      for (const id of ['chart-unsubscribes', 'chart-sources', 'chart-deliveries', 'chart-latency']) {
        expect(await painted(page, id), id).toBe(true);
      }

      // The endpoint table: state, streak, last error, a link to its deliveries.
      const row = page.locator(`#endpoint-health tr[data-endpoint="${broken.id}"]`);
      expect(await row.textContent()).toContain('failing');
      expect(await row.textContent()).toContain('HTTP 500');
      expect(await page.textContent('#backlog-pending')).toBe('0');
      await page.selectOption('#delivery-endpoint', '');
      await page.selectOption('#unsubscribe-source', '');
      await page.waitForTimeout(100);
      await page.screenshot({ path: path.join(artifacts, 'dashboard.png'), fullPage: true });
      await Promise.all([page.waitForURL(/\/deliveries\?endpoint=/), row.locator('a').click()]);
      expect(problems).toEqual([]);
      expect(harness.logged).toEqual([]);
    },
  );
});
