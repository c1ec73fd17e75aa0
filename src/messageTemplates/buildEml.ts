/**
 * @module `buildEml`: a rendered e-mail as a whole RFC 5322 message (`.eml`), composed by
 * nodemailer's MailComposer (never by string concatenation): From, To, Subject (RFC 2047 encoded
 * when not ASCII), Date, Message-ID, the RFC 2369/8058 List-Unsubscribe headers and a
 * multipart/alternative body of the text and HTML parts, UTF-8 throughout.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import { MessageTemplateError } from './messageTemplateError.js';
import type { RenderedMessage } from './renderMessage.js';

/** Options of `buildEml`. */
export interface EmlOptions {
  /** Sender mailbox, e.g. `Northwind <news@northwind.example.com>`. */
  from: string;
  /** Recipient address. */
  to: string;
  /** Date header. */
  date: Date;
  /** The message uid: with it the Message-ID is `<uid@sender's domain>`, so resends keep their id. */
  messageUid?: string;
}

const lineBreak = /[\r\n]/;

/**
 * The message as `.eml` bytes.
 * @throws MessageTemplateError `invalid_input` for an SMS render or a header value with a line break.
 */
export async function buildEml(message: RenderedMessage, options: EmlOptions): Promise<Buffer> {
  if (message.html === null || message.subject === null) {
    throw new MessageTemplateError('invalid_input', 'an SMS template has no e-mail form', {
      field: 'channel',
    });
  }
  for (const field of ['from', 'to'] as const) {
    if (lineBreak.test(options[field])) {
      throw new MessageTemplateError('invalid_input', `${field} must be one line`, { field });
    }
  }
  const domain = /@([^\s@<>]+)>?\s*$/.exec(options.from)?.[1] ?? 'unsub.invalid';
  const composer = new MailComposer({
    from: options.from,
    to: options.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    date: options.date,
    ...(options.messageUid ? { messageId: `<${options.messageUid}@${domain}>` } : {}),
    headers: {
      'List-Unsubscribe': message.headers['List-Unsubscribe'],
      'List-Unsubscribe-Post': message.headers['List-Unsubscribe-Post'],
    },
  });
  return composer.compile().build();
}
