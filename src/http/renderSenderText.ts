/**
 * @module Sender texts (notice and button text of the branding) rendered with the subscriber tags of
 * the seed: `{{subscriber_email}}`, `{{subscriber_phone}}`, `{{subscriber_firstname}}`,
 * `{{subscriber_lastname}}`, `{{subscriber_id}}`, `{{extraField.NAME}}`.
 *
 * Why this is safe: the texts are compiled in their own Handlebars environment (no helpers or
 * partials of ours) with `noEscape`, producing PLAIN TEXT; the page then inserts that text with
 * `{{…}}`, which HTML-escapes everything — the sender's words and the contact's data alike. So
 * neither `{{{subscriber_email}}}` nor `<script>` in a notice can reach the page as markup.
 */
import Handlebars from 'handlebars';
import type { Contact } from '../store/index.js';

const senderTexts = Handlebars.create();
// `{{log}}` would write contact data to the server's console; sender texts have no use for it.
senderTexts.unregisterHelper('log');
/** Compiled texts by source; branding has a handful of texts, so the cache stays tiny. */
const compiled = new Map<string, Handlebars.TemplateDelegate>();
const maxCached = 64;

/** The Handlebars context of the subscriber tags for one contact. */
export function subscriberContext(contact: Contact): Record<string, unknown> {
  return {
    subscriber_email: contact.email,
    subscriber_phone: contact.phone ?? '',
    subscriber_firstname: contact.firstName ?? '',
    subscriber_lastname: contact.lastName ?? '',
    subscriber_id: contact.id,
    extraField: contact.extra,
  };
}

/**
 * Renders a sender text for a contact as plain text (escape it when putting it into HTML). A text
 * that fails to compile or render (only possible when the setting was written around the schema)
 * is shown as written.
 */
export function renderSenderText(text: string, contact: Contact): string {
  let template = compiled.get(text);
  if (!template) {
    try {
      template = senderTexts.compile(text, { noEscape: true, strict: false, knownHelpersOnly: false });
    } catch {
      return text;
    }
    if (compiled.size >= maxCached) compiled.clear();
    compiled.set(text, template);
  }
  try {
    return template(subscriberContext(contact));
  } catch {
    return text;
  }
}
