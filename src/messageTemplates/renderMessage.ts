/**
 * @module `renderMessage`: one recipient → subject, HTML, text, List-Unsubscribe headers and links,
 * by the engine's `render` for each part. The parts share the recipient's signed links, so a link in
 * both HTML and text is signed once and is the same URL in both.
 */
import {
  render,
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
    // Links only the text part has (a hand-written text may differ) go before the header link.
    const known = new Set(links.map((link) => link.url));
    const extra = part.links.filter((link) => !link.header && !known.has(link.url));
    if (extra.length > 0) links.splice(links.length - 1, 0, ...extra);
  } else {
    text = textFromHtml(body.html);
  }
  const subject =
    message.subject === undefined
      ? null
      : render(message.subject, recipient, undefined, shared).html.replace(/\s*[\r\n]+\s*/g, ' ');
  return { subject, html: message.html === undefined ? null : body.html, text, headers: body.headers, links };
}
