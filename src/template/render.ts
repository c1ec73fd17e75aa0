/**
 * @module `render`: one recipient → personalised HTML with signed links, and the RFC 8058 / RFC 2369
 * `List-Unsubscribe` headers. A link is signed only when the template actually outputs it, and
 * once per recipient per slot (the same tag twice gives the same URL).
 */
import {
  compactLinkUrl,
  compactProblem,
  linkUrl,
  listUnsubscribeHeaders,
  type Channel,
  type KeyRing,
  type LinkAction,
} from '../links/index.js';
import { matchLocale } from '../i18n/index.js';
import {
  linkFormFor,
  type CompiledTemplate,
  type LinkForm,
  type LinkHelperState,
} from './templateProgram.js';
import { jsonString } from './jsonBody.js';
import { TemplateError } from './templateError.js';

/** The contact a copy is rendered for; other fields are merge fields. */
export interface Recipient {
  /** Positive integer id; the only personal reference that goes into a link. */
  contactId: number;
  email?: string;
  [field: string]: unknown;
}

/** Options of `render`. */
export interface RenderOptions {
  keyRing: KeyRing;
  /** Public base of the links, e.g. `https://unsub.example.com`. */
  baseUrl: string;
  /** Channel of the message (default `email`). */
  channel?: Channel;
  /** Unique id of this sent copy, carried in every JWS link (compact links have no room for it). */
  messageUid?: string;
  /**
   * `compact` writes every link as `/s/CODE` (≤ 40 characters of path: SMS, WhatsApp URL buttons);
   * default `compact` for `channel: 'sms'`, else `jws`.
   */
  links?: LinkForm;
  /** Clock in milliseconds for the links' issued-at; default: the key ring's clock. */
  now?: () => number;
  /**
   * Links already signed for this recipient and message, shared between renders of several parts
   * of one message (subject, HTML, text): a link the HTML signed is reused by the text part instead
   * of being signed again. Keyed by the link's claims apart from the recipient; render adds to it.
   * Use one map per recipient and message only.
   */
  sharedLinks?: Map<string, string>;
  /**
   * The language of the pages the links open (claim `l`), when the recipient has no `lang` or
   * `locale` field of its own. Matched to a supported locale (`ru-RU` → `ru`); unmatched → left out.
   */
  locale?: string;
}

/** One generated link. */
export interface RenderedLink {
  url: string;
  action: LinkAction;
  /** Shared with the compiled template, hence read-only. */
  groupIds: readonly number[];
  redirectUrl?: string;
  /** True for the link in the `List-Unsubscribe` header. */
  header?: true;
}

/** The personalised copy. */
export interface RenderResult {
  html: string;
  headers: { 'List-Unsubscribe': string; 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
  /** Links in order of first use in the body, then the header link (`header: true`). */
  links: RenderedLink[];
}

/** What every link of one render shares. */
interface RecipientClaims {
  contactId: number;
  channel: Channel;
  messageUid: string | undefined;
  issuedAt: number | undefined;
  compact: boolean;
  locale: string | undefined;
}

/** Signs and memoises the links of one render. */
class RecipientLinks implements LinkHelperState {
  readonly urls: (string | undefined)[];
  readonly links: RenderedLink[] = [];
  readonly #template: CompiledTemplate;
  readonly #claims: RecipientClaims;
  readonly #keyRing: KeyRing;
  readonly #baseUrl: string;
  readonly #shared: Map<string, string> | undefined;

  constructor(
    template: CompiledTemplate,
    claims: RecipientClaims,
    keyRing: KeyRing,
    baseUrl: string,
    shared: Map<string, string> | undefined,
  ) {
    this.#template = template;
    this.#claims = claims;
    this.#keyRing = keyRing;
    this.#baseUrl = baseUrl;
    this.#shared = shared;
    this.urls = new Array<string | undefined>(template.slots.length);
  }

  url(slot: number): string {
    const known = this.urls[slot];
    if (known !== undefined) return known;
    const definition = this.#template.slots[slot];
    if (definition === undefined)
      throw new TemplateError('render_failed', `template has no link slot ${slot}`);
    const sharedKey = this.#shared === undefined ? undefined : this.#template.slotKeys[slot];
    if (sharedKey !== undefined) {
      const signed = this.#shared!.get(sharedKey);
      if (signed !== undefined) {
        this.urls[slot] = signed;
        return signed;
      }
    }
    const recipient = this.#claims;
    // One fixed object shape for every call keeps signing monomorphic (this is the hot path).
    const claims = {
      action: definition.action,
      contactId: recipient.contactId,
      channel: recipient.channel,
      groupIds: definition.groupIds,
      messageUid: recipient.messageUid,
      redirectUrl: definition.redirectUrl,
      locale: recipient.locale,
      issuedAt: recipient.issuedAt,
    };
    const url = recipient.compact
      ? compactLinkUrl(this.#baseUrl, this.#keyRing.signCompactLink(claims))
      : linkUrl(this.#baseUrl, definition, this.#keyRing.signLink(claims));
    this.urls[slot] = url;
    if (sharedKey !== undefined) this.#shared!.set(sharedKey, url);
    return url;
  }

  link(slot: number): string {
    const fresh = this.urls[slot] === undefined;
    const url = this.url(slot);
    if (fresh) this.links.push(describe(this.#template, slot, url, false));
    return url;
  }
}

function describe(template: CompiledTemplate, slot: number, url: string, header: boolean): RenderedLink {
  const definition = template.slots[slot]!;
  const link: RenderedLink = { url, action: definition.action, groupIds: definition.groupIds };
  if (definition.redirectUrl !== undefined) link.redirectUrl = definition.redirectUrl;
  if (header) link.header = true;
  return link;
}

/** Refuses compact links for a template compiled without the SMS checks that needs what they cannot carry. */
function checkCompactSlots(compiled: CompiledTemplate): void {
  for (const slot of compiled.slots) {
    const problem = compactProblem({ ...slot, contactId: 1, channel: 'sms' }, Number.MAX_SAFE_INTEGER);
    if (problem !== undefined) {
      throw new TemplateError(
        'invalid_render_options',
        `compact links: ${problem}; compile the template with channel 'sms' to see which tag`,
        { field: 'links' },
      );
    }
  }
}

/** The supported locale of a recipient's `lang`/`locale` field, else of the render option. */
function recipientLocale(recipient: Recipient, fallback: string | undefined): string | undefined {
  for (const tag of [recipient.lang, recipient.locale, fallback]) {
    if (typeof tag === 'string' && tag !== '') {
      const locale = matchLocale(tag);
      if (locale) return locale;
    }
  }
  return undefined;
}

function checkRecipient(recipient: Recipient): void {
  const id = (recipient as { contactId?: unknown } | null)?.contactId;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) {
    throw new TemplateError('invalid_recipient', 'recipient.contactId must be a positive integer', {
      field: 'contactId',
    });
  }
}

/** The checks and link state of one render, before the template runs. */
function prepare(compiled: CompiledTemplate, recipient: Recipient, options: RenderOptions): RecipientLinks {
  checkRecipient(recipient);
  if (!options?.keyRing || typeof options.baseUrl !== 'string' || options.baseUrl === '') {
    throw new TemplateError('invalid_render_options', 'render needs options.keyRing and options.baseUrl');
  }
  const compact = linkFormFor(options.channel, options.links) === 'compact';
  if (compact) checkCompactSlots(compiled);
  const claims: RecipientClaims = {
    contactId: recipient.contactId,
    channel: options.channel ?? 'email',
    messageUid: options.messageUid,
    issuedAt: options.now === undefined ? undefined : Math.floor(options.now() / 1000),
    compact,
    locale: recipientLocale(recipient, options.locale),
  };
  return new RecipientLinks(compiled, claims, options.keyRing, options.baseUrl, options.sharedLinks);
}

/** Runs a template body, turning whatever Handlebars throws into `render_failed`. */
function runBody<S>(
  recipient: Recipient,
  run: (context: object, state: S) => string,
  context: object,
  state: S,
): string {
  try {
    return run(context, state);
  } catch (error) {
    if (error instanceof TemplateError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new TemplateError('render_failed', `cannot render contact ${recipient.contactId}: ${message}`, {
      cause: error,
    });
  }
}

/** The header link after the body's links, and the headers. */
function finish(compiled: CompiledTemplate, state: RecipientLinks): RenderResult['headers'] {
  const headerUrl = state.url(compiled.headerSlot);
  state.links.push(describe(compiled, compiled.headerSlot, headerUrl, true));
  return listUnsubscribeHeaders(headerUrl);
}

/**
 * Renders one recipient. The Handlebars context is `data` with the recipient's fields over it
 * (recipient wins on a clash); merge fields are HTML-escaped.
 * @throws TemplateError `invalid_recipient` for a missing or bad contactId, `invalid_render_options`
 *   for a missing key ring or base URL, `render_failed` when Handlebars or signing fails.
 */
export function render(
  compiled: CompiledTemplate,
  recipient: Recipient,
  data: Record<string, unknown> | undefined,
  options: RenderOptions,
): RenderResult {
  const state = prepare(compiled, recipient, options);
  const context = data === undefined ? recipient : { ...data, ...recipient };
  const html = runBody(recipient, compiled.run, context, state);
  return { html, headers: finish(compiled, state), links: state.links };
}

/** `render`'s result with the HTML as JSON text. */
export interface RenderJsonResult {
  /** Exactly `JSON.stringify(html)` of the HTML `render` gives (quotes included). */
  json: string;
  headers: RenderResult['headers'];
  links: RenderedLink[];
}

/**
 * Renders one recipient as `render` does, giving the HTML as the JSON string `JSON.stringify`
 * would make of it, byte for byte, but escaped while it is made (the template's text was escaped
 * once when it compiled), so the HTML is not walked a second time. For recipients and data that
 * `JSON.parse` or a CSV reader made (no functions among the values).
 * @throws TemplateError as `render`.
 */
export function renderJson(
  compiled: CompiledTemplate,
  recipient: Recipient,
  data: Record<string, unknown> | undefined,
  options: RenderOptions,
): RenderJsonResult {
  const state = prepare(compiled, recipient, options) as RecipientLinks & { fallback: boolean };
  const context = data === undefined ? recipient : { ...data, ...recipient };
  let json: string | undefined;
  if (compiled.runJson !== undefined) {
    state.fallback = false;
    const body = runBody(recipient, compiled.runJson, context, state);
    // A value that split a surrogate pair, or one Handlebars would add rather than join: only the
    // usual render is right. The links signed so far are reused (same URLs, same order).
    if (!state.fallback) json = `"${body}"`;
  }
  json ??= JSON.stringify(runBody(recipient, compiled.run, context, state));
  return { json, headers: finish(compiled, state), links: state.links };
}

/**
 * `JSON.stringify(headers)` of a render's headers, byte for byte. With `linksJson`, for callers
 * that write a render as a JSON line: the generic `JSON.stringify` of the headers and links took
 * 3.2 µs a recipient of the example newsletter (a fifth of its render), these 1.4.
 */
export function headersJson(headers: RenderResult['headers']): string {
  return `{"List-Unsubscribe":${jsonString(headers['List-Unsubscribe'])},"List-Unsubscribe-Post":${jsonString(headers['List-Unsubscribe-Post'])}}`;
}

/** `JSON.stringify(links)` of a render's links (made by `describe`, so their keys are in this order), byte for byte. */
export function linksJson(links: readonly RenderedLink[]): string {
  let json = '[';
  for (let i = 0; i < links.length; i++) {
    const link = links[i]!;
    // Group ids are integers (the catalog's), which `join` writes as JSON does.
    json += `${i === 0 ? '' : ','}{"url":${jsonString(link.url)},"action":${jsonString(link.action)},"groupIds":[${link.groupIds.join(',')}]`;
    if (link.redirectUrl !== undefined) json += `,"redirectUrl":${jsonString(link.redirectUrl)}`;
    json += link.header === true ? ',"header":true}' : '}';
  }
  return `${json}]`;
}
