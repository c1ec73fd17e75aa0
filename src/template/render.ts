/**
 * @module `render`: one recipient → personalised HTML with signed links, and the RFC 8058 / RFC 2369
 * `List-Unsubscribe` headers. A link is signed only when the template actually outputs it, and
 * once per recipient per slot (the same tag twice gives the same URL).
 */
import {
  linkUrl,
  listUnsubscribeHeaders,
  type Channel,
  type KeyRing,
  type LinkAction,
} from '../links/index.js';
import { matchLocale } from '../i18n/index.js';
import type { CompiledTemplate, LinkHelperState } from './compile.js';
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
  /** Unique id of this sent copy, carried in every link. */
  messageUid?: string;
  /** Clock in milliseconds for the links' issued-at; default: the key ring's clock. */
  now?: () => number;
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

  constructor(template: CompiledTemplate, claims: RecipientClaims, keyRing: KeyRing, baseUrl: string) {
    this.#template = template;
    this.#claims = claims;
    this.#keyRing = keyRing;
    this.#baseUrl = baseUrl;
    this.urls = new Array<string | undefined>(template.slots.length);
  }

  url(slot: number): string {
    const known = this.urls[slot];
    if (known !== undefined) return known;
    const definition = this.#template.slots[slot];
    if (definition === undefined)
      throw new TemplateError('render_failed', `template has no link slot ${slot}`);
    const recipient = this.#claims;
    // One fixed object shape for every call keeps signing monomorphic (this is the hot path).
    const token = this.#keyRing.signLink({
      action: definition.action,
      contactId: recipient.contactId,
      channel: recipient.channel,
      groupIds: definition.groupIds,
      messageUid: recipient.messageUid,
      redirectUrl: definition.redirectUrl,
      locale: recipient.locale,
      issuedAt: recipient.issuedAt,
    });
    const url = linkUrl(this.#baseUrl, definition, token);
    this.urls[slot] = url;
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
  checkRecipient(recipient);
  if (!options?.keyRing || typeof options.baseUrl !== 'string' || options.baseUrl === '') {
    throw new TemplateError('invalid_render_options', 'render needs options.keyRing and options.baseUrl');
  }
  const claims: RecipientClaims = {
    contactId: recipient.contactId,
    channel: options.channel ?? 'email',
    messageUid: options.messageUid,
    issuedAt: options.now === undefined ? undefined : Math.floor(options.now() / 1000),
    locale: recipientLocale(recipient, options.locale),
  };
  const state = new RecipientLinks(compiled, claims, options.keyRing, options.baseUrl);
  let html: string;
  try {
    html = compiled.run(data === undefined ? recipient : { ...data, ...recipient }, state);
  } catch (error) {
    if (error instanceof TemplateError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new TemplateError('render_failed', `cannot render contact ${recipient.contactId}: ${message}`, {
      cause: error,
    });
  }
  const headerUrl = state.url(compiled.headerSlot);
  state.links.push(describe(compiled, compiled.headerSlot, headerUrl, true));
  return { html, headers: listUnsubscribeHeaders(headerUrl), links: state.links };
}
