/**
 * @module The demo's routes: `GET /` (the preview page), `GET /preview/email` (the rendered
 * newsletter, framed by the preview), `GET /preview/preview.css` and `POST /preview/reset`
 * (re-subscribe the demo contact so every flow can be tried again). The newsletter is compiled once
 * with the demo groups' real ids and rendered per request with links to THIS server.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Express, Response } from 'express';
import type { KeyRing } from '../../links/index.js';
import type { Group, OutboxEvent, Store } from '../../store/index.js';
import type { Subscriptions } from '../../subscriptions/index.js';
import { compile, render, type CompiledTemplate, type RenderResult } from '../../template/index.js';
import { ServerError } from '../serverError.js';
import { previewCss, previewPageHtml, type PreviewLink } from './previewPage.js';
import { examplesDir, resetDemo, seedDemo, type DemoData } from './seedDemo.js';

/** What the demo routes need. */
export interface PreviewDeps {
  store: Store;
  subscriptions: Subscriptions;
  keyRing: KeyRing;
  /** The base of the links, known once the server listens (the port may be chosen by the OS). */
  baseUrl: () => string;
  now: () => number;
}

/** The merge fields of the demo copy (those `newsletter.hbs` uses). */
const demoData = {
  issue_date: '2025-03-14',
  vip: true,
  promo_code: 'NW-DEMO',
  points: 120,
  stats: { parcels: '12,480' },
  articles: [
    {
      title: 'Spring catalogue is out',
      summary: 'Forty new teas, three new coffee roasts and a refreshed biscuit line.',
      minutes: 3,
      url: 'https://northwind.example.com/a/1',
    },
    {
      title: 'Новости компании',
      summary: 'Открыли склад в Казани: доставка по Поволжью теперь за два дня.',
      minutes: 2,
      url: 'https://northwind.example.com/a/4',
    },
  ],
};

/** Compiles the example newsletter against the demo groups. @throws ServerError `demo_failed`. */
export function compileNewsletter(
  demo: DemoData,
  file = path.join(examplesDir, 'newsletter.hbs'),
): CompiledTemplate {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ServerError('demo_failed', `the demo needs ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const compiled = compile(source, { groups: demo.catalog });
  if (!compiled.ok) {
    const problems = compiled.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join('; ');
    throw new ServerError('demo_failed', `${file} does not compile: ${problems}`, { field: file });
  }
  return compiled.template;
}

/** A readable label for each link of the copy. */
function describeLinks(rendered: RenderResult, groups: Group[]): PreviewLink[] {
  const nameOf = (id: number) => groups.find((group) => group.id === id)?.name ?? `group ${id}`;
  const seen = new Set<string>();
  const links: PreviewLink[] = [];
  for (const link of rendered.links) {
    if (seen.has(link.url)) continue;
    seen.add(link.url);
    const names = link.groupIds.map(nameOf).join(', ');
    const [label, tag] =
      link.action === 'manage'
        ? ['Choose which e-mails you get (subscription manager)', 'link_unsubscribe_manager']
        : link.action === 'unsubscribe'
          ? ['Unsubscribe from all e-mail', 'link_unsubscribe']
          : link.action === 'unsubscribe_groups'
            ? [`Unsubscribe from ${names}`, 'Unsubscribe(…)']
            : [
                `Unsubscribe from ${names}, then go to ${link.redirectUrl} (an example address)`,
                'UnsubscribeRedirect(…)',
              ];
    links.push({ url: link.url, label: link.header ? `${label} — the List-Unsubscribe link` : label, tag });
  }
  return links;
}

/** Headers of a page that must not be cached (it holds fresh link tokens). */
function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Robots-Tag', 'noindex, nofollow');
}

/** The origin of the links as a CSP source, so the one-click form may post to it. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

/** The prepared demo: its data, and the routes to register on the app. */
export interface DemoPreview {
  demo: DemoData;
  /** Registers `/`, `/preview/email`, `/preview/preview.css` and `POST /preview/reset`. */
  register(app: Express): void;
}

/**
 * Seeds the demo data and compiles the newsletter (async, before the app is built); the routes are
 * then registered synchronously, in their place before the app's 404 handler.
 * @throws ServerError `demo_failed` when the example template is missing or broken.
 */
export async function createDemoPreview(deps: PreviewDeps): Promise<DemoPreview> {
  let demo = await seedDemo(deps.store, deps.subscriptions);
  const template = compileNewsletter(demo);

  /** The demo data, re-created if someone deleted the demo contact through the admin API. */
  const current = async (): Promise<DemoData> => {
    if (!(await deps.store.getContact(demo.contact.id)))
      demo = await seedDemo(deps.store, deps.subscriptions);
    return demo;
  };

  // The latest outbox events, read incrementally: the outbox lists in id order only.
  let cursor = 0;
  let recent: OutboxEvent[] = [];
  const latestEvents = async (): Promise<OutboxEvent[]> => {
    for (;;) {
      const page = await deps.store.listOutbox({ afterId: cursor, limit: 500 });
      recent = [...recent, ...page].slice(-10);
      cursor = page.at(-1)?.id ?? cursor;
      if (page.length < 500) return [...recent].reverse();
    }
  };

  const renderCopy = (data: DemoData): RenderResult => {
    const contact = data.contact;
    const recipient = {
      contactId: contact.id,
      email: contact.email,
      first_name: contact.firstName ?? '',
      last_name: contact.lastName ?? '',
      city: typeof contact.extra.city === 'string' ? contact.extra.city : '',
    };
    return render(template, recipient, demoData, {
      keyRing: deps.keyRing,
      baseUrl: deps.baseUrl(),
      channel: 'email',
      messageUid: `demo-${deps.now()}`,
      now: deps.now,
    });
  };

  const register = (app: Express): void => {
    app.get('/', async (_req, res) => {
      const data = await current();
      const rendered = renderCopy(data);
      const headerUrl = rendered.links.find((link) => link.header)?.url ?? '';
      const memberships = await deps.store.getMemberships(data.contact.id);
      const events = await latestEvents();
      noStore(res);
      res.setHeader(
        'Content-Security-Policy',
        "default-src 'none'; style-src 'self'; img-src https: data:; frame-src 'self'; " +
          `form-action 'self' ${originOf(headerUrl)}; frame-ancestors 'none'; base-uri 'none'`,
      );
      res.type('html').send(
        previewPageHtml({
          email: data.contact.email,
          contactId: data.contact.id,
          headers: Object.entries(rendered.headers).map(([name, value]) => ({ name, value })),
          headerUrl,
          links: describeLinks(rendered, data.groups),
          memberships: memberships.map((m) => ({
            group: m.group.name,
            channel: m.group.channel,
            state: m.state,
            source: m.source,
            changedAt: new Date(m.changedAt).toISOString().replace('T', ' ').slice(0, 19),
          })),
          events: events.map((event) => event.body),
        }),
      );
    });

    app.get('/preview/email', async (_req, res) => {
      const rendered = renderCopy(await current());
      noStore(res);
      // The copy carries its own inline styles, as e-mail must; it is framed only by the preview page
      // and sandboxed (no script, no forms). Its links open a new tab, as from a mail client.
      res.setHeader(
        'Content-Security-Policy',
        "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'none'; " +
          "frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox",
      );
      res.setHeader('X-Frame-Options', 'SAMEORIGIN');
      const html = /<head[^>]*>/i.test(rendered.html)
        ? rendered.html.replace(/<head[^>]*>/i, (head) => `${head}\n<base target="_blank">`)
        : `<base target="_blank">${rendered.html}`;
      res.type('html').send(html);
    });

    app.get('/preview/preview.css', (_req, res) => {
      res.type('css').send(previewCss);
    });

    app.post('/preview/reset', async (_req, res) => {
      await resetDemo(deps.subscriptions, await current());
      noStore(res);
      res.redirect(303, '../');
    });
  };

  return { demo, register };
}
