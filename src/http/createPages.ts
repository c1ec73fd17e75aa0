/**
 * @module The public pages: Handlebars views under `src/http/views/*.hbs` and the stylesheet
 * `src/http/assets/unsub.css`, read and compiled ONCE when the app is created. Paths are resolved
 * from the package root (`packageRoot`), not from this file, so `dist/` builds find the same files.
 *
 * Every text of a view comes from the catalogs (`locales/`): `{{t "key" name=value}}` for plain
 * text (escaped as usual), `{{{html "key" address=address}}}` for a message with `<b>` (its values
 * are escaped before the tags become markup). The translator is the frame's `i18n`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { localeNames, supportedLocales, type Locale, type Translator } from '../i18n/index.js';
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
  /** The page's language: its texts, `<html lang dir>` and the switcher's selection. */
  i18n: Translator;
}

/** `GET /u/:token`: what will happen, one button. */
export interface ConfirmView {
  address: string;
  /** True for `link_unsubscribe` links: every group of the channel. */
  allGroups: boolean;
  channel: 'email' | 'sms';
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
  channel: 'email' | 'sms';
  /** Display names of the groups actually left (empty: nothing changed). */
  left: string[];
  /** How many groups the link names (for "not subscribed to these lists"). */
  groupCount: number;
  /** Offer "Unsubscribed by mistake? Re-subscribe" (the days it stays possible). */
  undo?: { days: number };
  /** Ask why (the `askReason` page setting), up to `max` characters of free text. */
  askReason?: { max: number };
  /** The reason was received. */
  reasonThanks?: boolean;
}

/** The result of an undo: the groups joined again. */
export interface UndoneView {
  address: string;
  joined: string[];
}

/** The subscription manager. */
export interface ManagerView {
  address: string;
  channel: 'email' | 'sms';
  groups: { id: number; name: string; description: string; checked: boolean }[];
  notice?: string;
  /** What a save changed; `joined`/`left` are lists already joined for the locale ("A, B and C"). */
  saved?: { joined: string; left: string; changed: boolean };
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
  undone: UndoneView;
  manager: ManagerView;
  error: ErrorView;
}

/** Renders full HTML pages; made once per app. */
export interface Pages {
  render<V extends keyof PageViews>(view: V, frame: PageFrame, data: PageViews[V]): string;
  /**
   * The same page as `render`, as its UTF-8 bytes (what a response sends). The frame around the
   * view is encoded once per locale, title and logo, so a page costs the encoding of its view only:
   * the frame holds the 14 autonyms of the switcher, which make the whole page a two-byte string
   * that Node would otherwise flatten, measure and encode again for every response.
   */
  renderBytes<V extends keyof PageViews>(view: V, frame: PageFrame, data: PageViews[V]): Buffer;
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

const viewNames: (keyof PageViews)[] = ['confirm', 'done', 'undone', 'manager', 'error'];

/** The layout around a page's view: the text before and after it, and the same as UTF-8 bytes. */
interface FrameParts {
  before: string;
  after: string;
  beforeBytes: Buffer;
  afterBytes: Buffer;
}

/**
 * A view's body around its recipient's address: the bytes before, between and after each place the
 * address goes, for one translator and one set of the view's other data.
 */
type BodyPieces = Buffer[];

/**
 * An address that every HTML escaper leaves as it is (Handlebars' and the catalogs' `html`): such
 * an address can go into a cached body in place of the marker it was rendered with.
 */
const plainAddress = /^[^&<>"'`=]*$/;

/** The switcher's `<option>`s per page locale, as HTML made once (the pages are the hot path). */
const switcherOptions = Object.fromEntries(
  supportedLocales.map((current) => [
    current,
    new Handlebars.SafeString(
      supportedLocales
        .map(
          (tag) =>
            `    <option value="${tag}" lang="${tag}"${tag === current ? ' selected' : ''}>${Handlebars.escapeExpression(localeNames[tag])}</option>\n`,
        )
        .join(''),
    ),
  ]),
) as Record<Locale, Handlebars.SafeString>;

/** A `{{t "key"}}` / `{{{html "key"}}}` without values, as the text it stands for (else undefined). */
function constantText(node: hbs.AST.MustacheStatement, i18n: Translator): string | undefined {
  const helper = (node.path as hbs.AST.PathExpression).original;
  const [key, ...rest] = node.params;
  if ((helper !== 't' && helper !== 'html') || rest.length > 0 || (node.hash?.pairs.length ?? 0) > 0) {
    return undefined;
  }
  if (key?.type !== 'StringLiteral') return undefined;
  const value = (key as hbs.AST.StringLiteral).value;
  // `t` is plain text: escaped like `{{…}}` would; `html` is already safe markup.
  return helper === 't' ? Handlebars.escapeExpression(i18n.t(value)) : i18n.html(value);
}

/** A copy of a parsed view with its constant texts replaced by `i18n`'s words. */
function withConstantTexts(program: hbs.AST.Program, i18n: Translator): hbs.AST.Program {
  const body = program.body.map((node): hbs.AST.Statement => {
    if (node.type === 'MustacheStatement') {
      const text = constantText(node as hbs.AST.MustacheStatement, i18n);
      if (text !== undefined) {
        // `original` is the source text in Handlebars' runtime (its typings call it StripFlags).
        return {
          type: 'ContentStatement',
          value: text,
          original: text,
          loc: node.loc,
        } as unknown as hbs.AST.ContentStatement;
      }
    }
    if (node.type === 'BlockStatement') {
      const block = node as hbs.AST.BlockStatement;
      return {
        ...block,
        program: withConstantTexts(block.program, i18n),
        ...(block.inverse ? { inverse: withConstantTexts(block.inverse, i18n) } : {}),
      } as hbs.AST.BlockStatement;
    }
    return node;
  });
  return { ...program, body };
}

/** The translator of the template being rendered (every render passes it as `i18n`). */
function translatorOf(options: Handlebars.HelperOptions): Translator {
  return (options.data as { root: { i18n: Translator } }).root.i18n;
}

/**
 * Values made once per translator and key (a page's frame, a view's body). Bounded: a sender's
 * pages take a handful of keys per locale, and the caps only guard against a caller that passes
 * per-request ones. `make` never returns `undefined` (`null` is kept: "nothing to reuse").
 */
function perTranslatorCache<V>(): (i18n: Translator, key: string, make: () => V) => V {
  const byTranslator = new Map<Translator, Map<string, V>>();
  return (i18n, key, make) => {
    let values = byTranslator.get(i18n);
    if (!values) {
      if (byTranslator.size >= 64) byTranslator.clear();
      values = new Map();
      byTranslator.set(i18n, values);
    }
    const found = values.get(key);
    if (found !== undefined) return found;
    const value = make();
    if (values.size >= 256) values.clear();
    values.set(key, value);
    return value;
  };
}

/** A page: the frame's bytes before, the body's pieces with `address` between them, the frame's after. */
function pageAround(before: Buffer, pieces: BodyPieces, address: string, after: Buffer): Buffer {
  const addressLength = Buffer.byteLength(address, 'utf8');
  let length = before.length + after.length + addressLength * (pieces.length - 1);
  for (const piece of pieces) length += piece.length;
  const page = Buffer.allocUnsafe(length);
  let at = before.copy(page, 0);
  for (let i = 0; i < pieces.length; i++) {
    if (i > 0) at += page.write(address, at, 'utf8');
    at += (pieces[i] as Buffer).copy(page, at);
  }
  after.copy(page, at);
  return page;
}

/**
 * Reads and compiles the views and the stylesheet.
 * @throws Error naming the file when a view is missing (a broken install, found at start-up).
 */
export function createPages(options: PagesOptions): Pages {
  const viewsDir = options.viewsDir ?? defaultViewsDir;
  const assetsDir = options.assetsDir ?? defaultAssetsDir;
  // A private environment: only our two text helpers, and nothing registered elsewhere leaks in.
  const handlebars = Handlebars.create();
  handlebars.registerHelper('t', (key: string, options: Handlebars.HelperOptions) =>
    translatorOf(options).t(key, options.hash as Record<string, string | number>),
  );
  handlebars.registerHelper(
    'html',
    (key: string, options: Handlebars.HelperOptions) =>
      new handlebars.SafeString(
        translatorOf(options).html(key, options.hash as Record<string, string | number>),
      ),
  );
  // Parsed once (a missing or broken view fails here, at start-up); compiled per translator below.
  const parse = (file: string) => Handlebars.parse(readFileSync(path.join(viewsDir, file), 'utf8'));
  const sources = {
    layout: parse('layout.hbs'),
    ...Object.fromEntries(viewNames.map((name) => [name, parse(`${name}.hbs`)])),
  } as Record<keyof PageViews | 'layout', hbs.AST.Program>;
  type Compiled = Record<keyof PageViews | 'layout', Handlebars.TemplateDelegate>;
  /**
   * The views for one translator, with every text that takes no values already in them: a
   * `{{t "key"}}` costs a helper call per render, and the confirm page is the hot path. Texts
   * with values (`{{t "key" n=…}}`) stay helper calls.
   */
  const compiledFor = new Map<Translator, Compiled>();
  /**
   * The layout around a page, per translator and (title, logo): everything of it but the body is
   * the same for every page of that kind, so it is rendered once, around a marker that no text can
   * contain, and cut there. A page then costs its own view and two concatenations.
   */
  const marker = `\u0000unsub-page-body-${randomUUID()}\u0000`;
  const frames = perTranslatorCache<FrameParts>();
  const frameOf = (i18n: Translator, layout: Handlebars.TemplateDelegate, frame: PageFrame) =>
    // Titles are catalog texts and the logo one setting: a handful of keys.
    frames(i18n, `${frame.title}\u0000${frame.logoUrl ?? ''}`, () => {
      const html = layout({
        title: frame.title,
        logoUrl: frame.logoUrl,
        stylesheetHref,
        body: marker,
        i18n,
        lang: i18n.locale,
        dir: i18n.dir,
        languages: switcherOptions[i18n.locale],
      });
      const at = html.indexOf(marker);
      const before = html.slice(0, at);
      const after = html.slice(at + marker.length);
      return {
        before,
        after,
        beforeBytes: Buffer.from(before, 'utf8'),
        afterBytes: Buffer.from(after, 'utf8'),
      };
    });
  /**
   * The bodies of views with an `address`, per translator and the view's other data. A confirm page
   * differs from one recipient to the next mostly in the masked address, and its view is the
   * costliest part of the page (Handlebars sets up its helpers on every call): so the body is
   * rendered once around a marker in place of the address (two different markers, and kept only
   * when both renders are the same text around them, i.e. the view inserts the address as it is),
   * and a page costs the copies of its pieces and the address in between. The key holds every
   * other field of the data, so any change of branding, groups or texts is a different body.
   */
  const addressMarkers = [1, 2].map(() => `unsubaddress${randomUUID().replaceAll('-', '')}`) as [
    string,
    string,
  ];
  const bodies = perTranslatorCache<BodyPieces | null>();
  const bodyPiecesOf = (
    view: keyof PageViews,
    template: Handlebars.TemplateDelegate,
    i18n: Translator,
    data: { address: string },
  ): BodyPieces | undefined =>
    bodies(i18n, `${view}\u0000${JSON.stringify({ ...data, address: '' })}`, () => {
      const [first, second] = addressMarkers;
      const texts = template({ ...data, address: first, i18n }).split(first);
      const same = template({ ...data, address: second, i18n }) === texts.join(second);
      // null: this view and data do not take the address as it is (rendered in full every time).
      return same && texts.length > 1 ? texts.map((text) => Buffer.from(text, 'utf8')) : null;
    }) ?? undefined;
  const viewsFor = (i18n: Translator): Compiled => {
    let compiled = compiledFor.get(i18n);
    if (!compiled) {
      compiled = Object.fromEntries(
        Object.entries(sources).map(([name, ast]) => {
          const template = handlebars.compile(withConstantTexts(ast, i18n), { strict: false });
          template({ i18n }); // compile now (Handlebars compiles lazily)
          return [name, template];
        }),
      ) as Compiled;
      // Translators are made once per process (`bundledTranslators`); the cap only guards a caller
      // that makes new ones per request from growing this without end.
      if (compiledFor.size >= 64) compiledFor.clear();
      compiledFor.set(i18n, compiled);
    }
    return compiled;
  };
  const stylesheet = readFileSync(path.join(assetsDir, 'unsub.css'), 'utf8');
  const hash = createHash('sha256').update(stylesheet).digest('hex').slice(0, 12);
  const stylesheetPath = `/assets/unsub.css`;
  const stylesheetHref = `${options.basePath}${stylesheetPath}?v=${hash}`;

  return {
    stylesheetPath,
    stylesheet,
    render(view, frame, data) {
      const { i18n } = frame;
      const views = viewsFor(i18n);
      const body = views[view]({ ...data, i18n });
      const { before, after } = frameOf(i18n, views.layout, frame);
      return before + body + after;
    },
    renderBytes(view, frame, data) {
      const { i18n } = frame;
      const views = viewsFor(i18n);
      const { beforeBytes, afterBytes } = frameOf(i18n, views.layout, frame);
      const address = (data as { address?: unknown }).address;
      if (view === 'confirm' && typeof address === 'string' && plainAddress.test(address)) {
        const pieces = bodyPiecesOf(view, views[view], i18n, data as { address: string });
        if (pieces) return pageAround(beforeBytes, pieces, address, afterBytes);
      }
      const body = views[view]({ ...data, i18n });
      const bodyLength = Buffer.byteLength(body, 'utf8');
      const page = Buffer.allocUnsafe(beforeBytes.length + bodyLength + afterBytes.length);
      beforeBytes.copy(page, 0);
      page.write(body, beforeBytes.length, 'utf8');
      afterBytes.copy(page, beforeBytes.length + bodyLength);
      return page;
    },
  };
}
