/**
 * @module `renderMessage`: one recipient → subject, HTML, text, List-Unsubscribe headers and links,
 * by the engine's `render` for each part. The parts share the recipient's signed links, so a link in
 * both HTML and text is signed once and is the same URL in both.
 */
import {
  headersJson,
  linksJson,
  render,
  renderJson,
  type Recipient,
  type RenderOptions,
  type RenderResult,
  type RenderedLink,
} from '../template/index.js';
import type { CompiledMessage } from './compileMessage.js';
import { textFromHtml } from './htmlToTextTemplate.js';

/** One rendered message. */
export interface RenderedMessage {
  /** The subject line (one line: line breaks from merge fields become spaces); null for SMS. */
  subject: string | null;
  /** Null for SMS. */
  html: string | null;
  text: string;
  headers: RenderResult['headers'];
  /** The body's links in order of first use (HTML, then any only in the text), then the header link. */
  links: RenderedLink[];
}

/**
 * Renders every part of `message` for `recipient` (its fields are the merge fields).
 * @throws TemplateError as the engine's `render` (`invalid_recipient`, `render_failed`, …).
 */
export function renderMessage(
  message: CompiledMessage,
  recipient: Recipient,
  options: Omit<RenderOptions, 'sharedLinks'>,
): RenderedMessage {
  // An SMS template renders compact links unless the caller asks otherwise.
  const shared: RenderOptions = {
    ...options,
    channel: options.channel ?? message.channel,
    sharedLinks: new Map(),
  };
  const main = message.html ?? message.text!;
  const body = render(main, recipient, undefined, shared);
  let text: string;
  const links = body.links;
  if (message.html === undefined) {
    text = body.html;
  } else if (message.text !== undefined) {
    const part = render(message.text, recipient, undefined, shared);
    text = part.html;
    addTextLinks(links, part.links);
  } else {
    text = textFromHtml(body.html);
  }
  const subject = subjectOf(message, recipient, shared);
  return { subject, html: message.html === undefined ? null : body.html, text, headers: body.headers, links };
}

/** Links only the text part has (a hand-written text may differ) go before the header link. */
function addTextLinks(links: RenderedLink[], textLinks: readonly RenderedLink[]): void {
  const known = new Set(links.map((link) => link.url));
  const extra = textLinks.filter((link) => !link.header && !known.has(link.url));
  if (extra.length > 0) links.splice(links.length - 1, 0, ...extra);
}

/** The subject line: line breaks from merge fields become spaces. */
function subjectOf(message: CompiledMessage, recipient: Recipient, shared: RenderOptions): string | null {
  if (message.subject === undefined) return null;
  return render(message.subject, recipient, undefined, shared).html.replace(/\s*[\r\n]+\s*/g, ' ');
}

/**
 * `JSON.stringify(renderMessage(message, recipient, options))`, byte for byte, with the HTML and
 * text parts JSON-escaped while they render (the engine's `renderJson`) instead of walked again
 * afterwards: the templates API writes every recipient as a JSON line.
 * @param lead JSON members to put before the message's own, each followed by a comma
 *   (`"line":3,"contactId":7,`): the answer line is then built once. Adding them to the string
 *   afterwards copied the whole message twice (a 10 KB string flattened by the slice, then again
 *   when encoded).
 * @throws TemplateError as `renderMessage`.
 */
export function renderMessageJson(
  message: CompiledMessage,
  recipient: Recipient,
  options: Omit<RenderOptions, 'sharedLinks'>,
  lead = '',
): string {
  // Text converted from each render's HTML needs the HTML as a string: the usual way.
  if (message.html !== undefined && message.text === undefined) {
    const json = JSON.stringify(renderMessage(message, recipient, options));
    return lead === '' ? json : `{${lead}${json.slice(1)}`;
  }
  const shared: RenderOptions = {
    ...options,
    channel: options.channel ?? message.channel,
    sharedLinks: new Map(),
  };
  const main = message.html ?? message.text!;
  const body = renderJson(main, recipient, undefined, shared);
  const links = body.links;
  let text = body.json;
  if (message.html !== undefined) {
    const part = renderJson(message.text!, recipient, undefined, shared);
    text = part.json;
    addTextLinks(links, part.links);
  }
  const subject = subjectOf(message, recipient, shared);
  // The keys in `RenderedMessage`'s order, as JSON.stringify writes them.
  return `{${lead}"subject":${JSON.stringify(subject)},"html":${message.html === undefined ? 'null' : body.json},"text":${text},"headers":${headersJson(body.headers)},"links":${linksJson(links)}}`;
}
