/**
 * @module The public pages: Handlebars views under `src/http/views/*.hbs` and the stylesheet
 * `src/http/assets/unsub.css`, read and compiled ONCE when the app is created. Paths are resolved
 * from the package root (`packageRoot`), not from this file, so `dist/` builds find the same files.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { packageRoot } from '../version.js';

/** The folder holding the page views. */
export const defaultViewsDir: string = path.join(packageRoot, 'src', 'http', 'views');
/** The folder holding the stylesheet. */
export const defaultAssetsDir: string = path.join(packageRoot, 'src', 'http', 'assets');

/** What every page's frame shows. */
export interface PageFrame {
  title: string;
  /** Sender's logo (https only, validated by the branding schema). */
  logoUrl?: string;
}

/** `GET /u/:token`: what will happen, one button. */
export interface ConfirmView {
  address: string;
  /** True for `link_unsubscribe` links: every group of the channel. */
  allGroups: boolean;
  channelLabel: string;
  groups: string[];
  buttonText: string;
  notice?: string;
  /** Host of the sender's page the recipient is sent to afterwards. */
  redirectHost?: string;
}

/** The result of an unsubscribe. */
export interface DoneView {
  address: string;
  allGroups: boolean;
  channelLabel: string;
  /** Display names of the groups actually left (empty: nothing changed). */
  left: string[];
}

/** The subscription manager. */
export interface ManagerView {
  address: string;
  channelLabel: string;
  groups: { id: number; name: string; description: string; checked: boolean }[];
  notice?: string;
  saved?: { joined: string[]; left: string[]; changed: boolean };
}

/** An error page. */
export interface ErrorView {
  title: string;
  message: string;
}

/** The views by name and the data each takes. */
export interface PageViews {
  confirm: ConfirmView;
  done: DoneView;
  manager: ManagerView;
  error: ErrorView;
}

/** Renders full HTML pages; made once per app. */
export interface Pages {
  render<V extends keyof PageViews>(view: V, frame: PageFrame, data: PageViews[V]): string;
  /** The stylesheet's URL path (with a content hash, so it can be cached for good). */
  readonly stylesheetPath: string;
  /** The stylesheet's text. */
  readonly stylesheet: string;
}

/** Options of `createPages`. */
export interface PagesOptions {
  /** Path prefix of the app under its base URL (`/unsub` for https://example.com/unsub), '' at the root. */
  basePath: string;
  viewsDir?: string;
  assetsDir?: string;
}

const viewNames: (keyof PageViews)[] = ['confirm', 'done', 'manager', 'error'];

/**
 * Reads and compiles the views and the stylesheet.
 * @throws Error naming the file when a view is missing (a broken install, found at start-up).
 */
export function createPages(options: PagesOptions): Pages {
  const viewsDir = options.viewsDir ?? defaultViewsDir;
  const assetsDir = options.assetsDir ?? defaultAssetsDir;
  // A private environment: the views need no helpers, and nothing registered elsewhere leaks in.
  const handlebars = Handlebars.create();
  const compile = (file: string) => {
    const template = handlebars.compile(readFileSync(path.join(viewsDir, file), 'utf8'), { strict: false });
    template({}); // compile now (Handlebars compiles lazily), not on the first request
    return template;
  };
  const layout = compile('layout.hbs');
  const views = Object.fromEntries(viewNames.map((name) => [name, compile(`${name}.hbs`)])) as Record<
    keyof PageViews,
    Handlebars.TemplateDelegate
  >;
  const stylesheet = readFileSync(path.join(assetsDir, 'unsub.css'), 'utf8');
  const hash = createHash('sha256').update(stylesheet).digest('hex').slice(0, 12);
  const stylesheetPath = `/assets/unsub.css`;
  const stylesheetHref = `${options.basePath}${stylesheetPath}?v=${hash}`;

  return {
    stylesheetPath,
    stylesheet,
    render(view, frame, data) {
      const body = views[view](data);
      return layout({ title: frame.title, logoUrl: frame.logoUrl, stylesheetHref, body });
    },
  };
}
