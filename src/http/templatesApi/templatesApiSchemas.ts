/**
 * @module The templates API's request and response schemas (zod): routes validate requests with
 * them, build responses typed by them, and the OpenAPI document is generated from them.
 */
import { z } from 'zod';
import { lintInputSchema, templateInputSchema, type LintProblem } from '../../messageTemplates/index.js';
import type { StoredTemplate } from '../../store/index.js';

const isoTime = z.iso.datetime({ offset: true });
const channel = z.enum(['email', 'sms']);

/** `POST /templates` and `PUT /templates/:id`. */
export const templateBodySchema = templateInputSchema;
/** `POST /templates/lint`. */
export const lintBodySchema = lintInputSchema;

/** `POST /templates/:id/activate`. */
export const activateBodySchema = z.strictObject({
  version: z.number().int('must be an integer').min(1, 'must be at least 1'),
});

/** `?version=N` of `GET /templates/:id` and the batch render. */
export const versionQuerySchema = z.strictObject({
  version: z.coerce.number().int('must be an integer').min(1, 'must be at least 1').optional(),
});

/** A message uid as links carry it: printable ASCII. */
export const messageUidSchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,200}$/, 'must be 1 to 200 printable ASCII characters without spaces');

/** A recipient: `contactId` (not looked up) or `email` (looked up), plus merge fields. */
export const recipientSchema = z
  .looseObject({
    contactId: z.number().int().min(1).optional(),
    email: z.string().optional(),
    messageUid: messageUidSchema.optional().describe('batch lines only: the uid of this copy'),
  })
  .describe(
    '`contactId` (your data, not looked up) or `email` (looked up: the contact’s fields merge in), plus merge fields',
  );

/** `POST /render`. */
export const renderBodySchema = z.strictObject({
  templateId: z.number().int('must be an integer').min(1, 'must be at least 1').optional(),
  version: z.number().int('must be an integer').min(1, 'must be at least 1').optional(),
  template: lintInputSchema
    .omit({ name: true })
    .optional()
    .describe('an inline template instead of templateId'),
  recipient: recipientSchema,
  messageUid: messageUidSchema.optional(),
  channel: channel.optional().describe('the channel in the links; default the template’s'),
  from: z
    .string()
    .max(500)
    .optional()
    .describe('the .eml sender (Accept: message/rfc822); default UNSUB_MAIL_FROM'),
});

/** One lint problem. */
export const lintProblemSchema = z.object({
  code: z.string(),
  message: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  part: z.enum(['subject', 'html', 'text']),
  hint: z.string().optional(),
});

/** What lint answers (and a 422 of a save carries, beside `error`). */
export const lintReportSchema = z.object({
  errors: z.array(lintProblemSchema),
  warnings: z.array(lintProblemSchema),
  sms: z
    .object({
      characters: z.number().int(),
      encoding: z.enum(['GSM-7', 'UCS-2']),
      segments: z.number().int(),
      perSegment: z.number().int(),
    })
    .optional()
    .describe('SMS templates only: the text as rendered with compact links, measured as an SMS.'),
});

/** The 422 of a save or render of a template with lint errors. */
export const invalidTemplateSchema = z.object({
  error: z.object({ code: z.literal('invalid_template'), message: z.string(), field: z.string().optional() }),
  errors: z.array(lintProblemSchema),
  warnings: z.array(lintProblemSchema),
});

/** A stored template version. */
export const templateJsonSchema = z.object({
  id: z.number().int(),
  version: z.number().int(),
  activeVersion: z.number().int(),
  latestVersion: z.number().int(),
  name: z.string(),
  channel,
  subject: z.string(),
  html: z.string(),
  text: z.string().nullable().describe('null: generated from the HTML'),
  createdAt: isoTime,
  updatedAt: isoTime,
  versionCreatedAt: isoTime,
  warnings: z.array(lintProblemSchema).optional().describe('lint warnings (on save)'),
});

/** `GET /templates`. */
export const templateListSchema = z.object({ templates: z.array(templateJsonSchema) });

/** `GET /templates/:id/versions`. */
export const templateVersionsSchema = z.object({
  versions: z.array(
    z.object({
      version: z.number().int(),
      name: z.string(),
      subject: z.string(),
      createdAt: isoTime,
      active: z.boolean(),
    }),
  ),
});

const linkSchema = z.object({
  url: z.string(),
  action: z.string(),
  groupIds: z.array(z.number().int()),
  redirectUrl: z.string().optional(),
  header: z.literal(true).optional(),
});

/** One rendered message. */
export const renderResultSchema = z.object({
  contactId: z.number().int(),
  subject: z.string().nullable(),
  html: z.string().nullable(),
  text: z.string(),
  headers: z.object({ 'List-Unsubscribe': z.string(), 'List-Unsubscribe-Post': z.string() }),
  links: z.array(linkSchema),
});

/** One line of the batch render's answer. */
export const batchLineSchema = z.union([
  renderResultSchema.extend({ line: z.number().int() }),
  z.object({
    line: z.number().int(),
    error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }),
  }),
  z.object({ summary: z.object({ rendered: z.number().int(), failed: z.number().int() }) }),
]);

/** A template version's JSON. */
export type TemplateJson = z.output<typeof templateJsonSchema>;

const iso = (ms: number) => new Date(ms).toISOString();

/** The JSON of a stored template version (with lint warnings when given). */
export function templateJson(template: StoredTemplate, warnings?: readonly LintProblem[]): TemplateJson {
  return {
    id: template.id,
    version: template.version,
    activeVersion: template.activeVersion,
    latestVersion: template.latestVersion,
    name: template.name,
    channel: template.channel,
    subject: template.subject,
    html: template.html,
    text: template.text,
    createdAt: iso(template.createdAt),
    updatedAt: iso(template.updatedAt),
    versionCreatedAt: iso(template.versionCreatedAt),
    ...(warnings ? { warnings: [...warnings] } : {}),
  };
}
