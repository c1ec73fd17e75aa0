/**
 * @module What a message template is made of, as clients send it: the zod schemas of the API and
 * console, the size limit, and `checkContent`, which turns input into the store's `TemplateContent`
 * naming the field at fault (an SMS template has only a text part; an e-mail one needs subject and HTML).
 */
import { z } from 'zod';
import type { Channel, TemplateContent } from '../store/index.js';
import { MessageTemplateError } from './messageTemplateError.js';

/** Largest template: subject, HTML and text together, in UTF-8 bytes (512 KB). Larger → 413. */
export const maxTemplateBytes = 512 * 1024;

const channelSchema = z.enum(['email', 'sms']);

/** A template as saved (`POST /api/templates`, `PUT /api/templates/:id`). */
export const templateInputSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  channel: channelSchema.optional().describe('`email` (default) or `sms` (a text part only)'),
  subject: z.string().optional().describe('Handlebars merge fields; unsubscribe tags are refused here'),
  html: z.string().optional().describe('the HTML part with unsubscribe tags (e-mail)'),
  text: z
    .string()
    .nullable()
    .optional()
    .describe('the plain-text part; absent or null: generated from the HTML with every link written out'),
});

/** What `POST /api/templates/lint` checks (nothing is saved). */
export const lintInputSchema = templateInputSchema.omit({ name: true }).extend({
  name: z.string().optional(),
});

/** Template input after zod. */
export type TemplateInput = z.output<typeof templateInputSchema>;
/** Lint input after zod. */
export type LintInput = z.output<typeof lintInputSchema>;

/** The parts of a template to check and compile, whatever it came from. */
export interface TemplateParts {
  channel: Channel;
  subject?: string | undefined;
  html?: string | undefined;
  text?: string | null | undefined;
}

const invalid = (field: string, message: string) =>
  new MessageTemplateError('invalid_input', `${field} ${message}`, { field });

/**
 * Refuses a template over `maxTemplateBytes` (naming its largest part).
 * @throws MessageTemplateError `template_too_large`.
 */
export function checkTemplateSize(parts: Omit<TemplateParts, 'channel'>): void {
  const sizes = (['subject', 'html', 'text'] as const).map(
    (part) => [part, Buffer.byteLength(parts[part] ?? '', 'utf8')] as const,
  );
  const total = sizes.reduce((sum, [, size]) => sum + size, 0);
  if (total <= maxTemplateBytes) return;
  const largest = [...sizes].sort((a, b) => b[1] - a[1])[0]![0];
  throw new MessageTemplateError(
    'template_too_large',
    `the template is ${Math.ceil(total / 1024)} KB; at most ${maxTemplateBytes / 1024} KB (subject, HTML and text together) is allowed`,
    { field: largest },
  );
}

/**
 * The parts of `input` for its channel.
 * @throws MessageTemplateError `invalid_input` naming the field (an SMS template with HTML, an
 *   e-mail template without HTML), `template_too_large`.
 */
export function templateParts(
  input: Omit<TemplateParts, 'channel'> & { channel?: Channel | undefined },
): TemplateParts {
  checkTemplateSize(input);
  const channel = input.channel ?? 'email';
  if (channel === 'sms') {
    if (input.html !== undefined && input.html !== '')
      throw invalid('html', 'is not allowed for an SMS template; send text');
    if (input.subject !== undefined && input.subject !== '')
      throw invalid('subject', 'is not allowed for an SMS template');
    if (input.text === undefined || input.text === null || input.text.trim() === '')
      throw invalid('text', 'is required for an SMS template');
    return { channel, text: input.text };
  }
  if (input.html === undefined || input.html.trim() === '')
    throw invalid('html', 'is required for an e-mail template');
  return { channel, subject: input.subject ?? '', html: input.html, text: input.text ?? null };
}

/**
 * The content to store for a saved template.
 * @throws MessageTemplateError as `templateParts`, and `invalid_input` for an e-mail template without subject.
 */
export function templateContent(input: TemplateInput): TemplateContent {
  const parts = templateParts(input);
  if (parts.channel === 'email' && (parts.subject ?? '').trim() === '')
    throw invalid('subject', 'is required for an e-mail template');
  return {
    name: input.name,
    channel: parts.channel,
    subject: parts.subject ?? '',
    html: parts.html ?? '',
    text: parts.text ?? null,
  };
}
