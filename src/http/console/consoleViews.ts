/**
 * @module The console's views (`src/http/console/views/*.hbs`, a layout with the navigation plus one
 * view per page) and its two static assets (`console.css`, `console.js`), read and compiled ONCE
 * when the router is created. Paths are resolved from the package root, so `dist/` builds find the
 * same files. Every URL a view writes goes through the `url` helper, which prefixes the app's base
 * path, and every state-changing form writes `{{csrfField}}`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import type { MessageValues, Translator } from '../../i18n/index.js';
import { packageRoot } from '../../version.js';
import type { ConsoleLanguageChoice } from './consoleLanguage.js';

/** The folder holding the console's views. */
export const consoleViewsDir: string = path.join(packageRoot, 'src', 'http', 'console', 'views');
/** The folder holding the console's stylesheet and script. */
export const consoleAssetsDir: string = path.join(packageRoot, 'src', 'http', 'console', 'assets');

/** The console's pages, by view file name (without `.hbs`). */
export const consoleViewNames = [
  'signin',
  'webhooks',
  'deliveries',
  'delivery',
  'pages',
  'groups',
  'contacts',
  'contact',
  'templates',
  'template',
  'error',
  'dashboard',
  'audit',
  'retention',
] as const;

/** One console view. */
export type ConsoleViewName = (typeof consoleViewNames)[number];

/** The sections of the navigation. */
export type ConsoleSection =
  | 'webhooks'
  | 'deliveries'
  | 'pages'
  | 'groups'
  | 'contacts'
  | 'templates'
  | 'api'
  | 'dashboard'
  | 'audit'
  | 'retention';

/** What every console page's frame shows. */
export interface ConsoleFrame {
  /** The page's title, already in the page's language. */
  title: string;
  /** The highlighted navigation entry. */
  section?: ConsoleSection;
  /** The session's form token; without it the page is shown signed out (no navigation). */
  csrfToken?: string;
  /** The page's language: every `{{t}}`/`{{{html}}}` of the layout and the view formats with it. */
  i18n: Translator;
  /** The header's language switch: where its GET form goes, what it keeps, the choices. */
  languageSwitch: {
    path: string;
    keep: { name: string; value: string }[];
    choices: ConsoleLanguageChoice[];
  };
}

/** A static asset served by the router. */
export interface ConsoleAsset {
  /** The route path, e.g. `/console/assets/console.css`. */
  path: string;
  /** The URL with the base path and a content hash (`?v=…`), so it may be cached for good. */
  href: string;
  type: 'css' | 'js';
  body: Buffer;
}

/** Renders console pages; made once per router. */
export interface ConsoleViews {
  render(view: ConsoleViewName, frame: ConsoleFrame, data: Record<string, unknown>): string;
  readonly assets: readonly ConsoleAsset[];
}

/** Options of `createConsoleViews`. */
export interface ConsoleViewsOptions {
  /** The app's path prefix under its base URL ('' at the root). */
  basePath: string;
  viewsDir?: string;
  assetsDir?: string;
}

/** A time (ms since the epoch) as `2025-03-14 09:26:53 UTC`; empty for null. */
export function formatTime(ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  return `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)} UTC`;
}

/** The translator of the template being rendered (every render passes it as `i18n`). */
function translatorOf(options: Handlebars.HelperOptions): Translator {
  return (options.data as { root: { i18n: Translator } }).root.i18n;
}

function registerHelpers(handlebars: typeof Handlebars, basePath: string): void {
  // `{{t "console.key" count=n}}`: plain text, escaped by Handlebars; `{{{html "console.key" …}}}`:
  // values escaped first, then `<b>` made markup (the catalogs' rich-text rule).
  handlebars.registerHelper('t', (key: string, options: Handlebars.HelperOptions) =>
    translatorOf(options).t(key, options.hash as MessageValues),
  );
  handlebars.registerHelper(
    'html',
    (key: string, options: Handlebars.HelperOptions) =>
      new handlebars.SafeString(translatorOf(options).html(key, options.hash as MessageValues)),
  );
  handlebars.registerHelper('url', (target: unknown) => `${basePath}${String(target)}`);
  handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  handlebars.registerHelper('time', (ms: unknown) => formatTime(ms));
  handlebars.registerHelper('json', (value: unknown) => JSON.stringify(value, null, 2));
  handlebars.registerHelper(
    'csrfField',
    (options: Handlebars.HelperOptions) =>
      new handlebars.SafeString(
        `<input type="hidden" name="_csrf" value="${handlebars.escapeExpression(
          String((options.data as { root?: { csrfToken?: string } }).root?.csrfToken ?? ''),
        )}">`,
      ),
  );
}

/**
 * Texts the console's scripts write (`console.js`, `dashboard.js`), by their short name: the
 * layout hands them over in `<body data-texts>` as JSON, in the page's language (the CSP allows no
 * inline script). Texts with counts come from the server's JSON answers instead (ICU plurals).
 */
export const clientTextKeys = [
  'testing',
  'testFailed',
  'noAnswer',
  'response',
  'sampleSent',
  'checkFailed',
  'warning',
  'couldNotLoad',
  'none',
  'secondsAgo',
  'delivered',
  'retrying',
  'failed',
  'group',
  'p50',
  'p99',
  'total',
  'maxP99',
] as const;

const clientTextsCache = new WeakMap<Translator, string>();

/** The client texts of one language as JSON (made once per translator). */
function clientTextsJson(i18n: Translator): string {
  let json = clientTextsCache.get(i18n);
  if (json === undefined) {
    json = JSON.stringify(
      Object.fromEntries(clientTextKeys.map((name) => [name, i18n.t(`console.client.${name}`)])),
    );
    clientTextsCache.set(i18n, json);
  }
  return json;
}

/** Stands in for a translator while the views are compiled at start-up (no text is kept). */
const compileTimeTranslator: Translator = {
  locale: 'en',
  dir: 'ltr',
  t: (key) => key,
  html: (key) => key,
  list: (items) => items.join(', '),
};

/**
 * Reads and compiles the views and assets.
 * @throws Error naming the file when one is missing (a broken install, found at start-up).
 */
export function createConsoleViews(options: ConsoleViewsOptions): ConsoleViews {
  const viewsDir = options.viewsDir ?? consoleViewsDir;
  const assetsDir = options.assetsDir ?? consoleAssetsDir;
  const handlebars = Handlebars.create();
  registerHelpers(handlebars, options.basePath);
  const compile = (file: string) => {
    const template = handlebars.compile(readFileSync(path.join(viewsDir, file), 'utf8'), { strict: false });
    template({ i18n: compileTimeTranslator }); // compile now (Handlebars compiles lazily), not on the first request
    return template;
  };
  const layout = compile('layout.hbs');
  const views = Object.fromEntries(consoleViewNames.map((name) => [name, compile(`${name}.hbs`)])) as Record<
    ConsoleViewName,
    Handlebars.TemplateDelegate
  >;

  const asset = (file: string, type: ConsoleAsset['type']): ConsoleAsset => {
    const body = readFileSync(path.join(assetsDir, file));
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
    const assetPath = `/console/assets/${file}`;
    return { path: assetPath, href: `${options.basePath}${assetPath}?v=${hash}`, type, body };
  };
  const stylesheet = asset('console.css', 'css');
  const script = asset('console.js', 'js');

  return {
    assets: [stylesheet, script],
    render(view, frame, data) {
      const root = { ...data, csrfToken: frame.csrfToken, i18n: frame.i18n };
      const body = views[view](root);
      return layout({
        i18n: frame.i18n,
        lang: frame.i18n.locale,
        dir: frame.i18n.dir,
        languageSwitch: frame.languageSwitch,
        title: frame.title,
        clientTexts: clientTextsJson(frame.i18n),
        section: frame.section,
        signedIn: frame.csrfToken !== undefined,
        csrfToken: frame.csrfToken,
        stylesheetHref: stylesheet.href,
        scriptHref: script.href,
        body,
      });
    },
  };
}
