/**
 * @module The templates API's operations and named schemas for the OpenAPI document (spread into
 * `apiOperations.ts`): stored templates, lint, render as JSON or `.eml`, and the NDJSON batch.
 */
import type { z } from 'zod';
import {
  activateBodySchema,
  batchLineSchema,
  invalidTemplateSchema,
  lintBodySchema,
  lintReportSchema,
  recipientSchema,
  renderBodySchema,
  renderResultSchema,
  templateBodySchema,
  templateJsonSchema,
  templateListSchema,
  templateVersionsSchema,
  versionQuerySchema,
} from '../templatesApi/index.js';
import type { ApiOperation, ApiResponse } from './apiOperations.js';

/** The named schemas of the templates API. */
export const templatesApiSchemas: Readonly<
  Record<string, { schema: z.ZodType; io: 'input' | 'output'; description?: string }>
> = {
  TemplateInput: {
    schema: templateBodySchema,
    io: 'input',
    description: 'A template: e-mail (subject, html, optional text) or SMS (text only). At most 512 KB.',
  },
  TemplateLint: {
    schema: lintBodySchema,
    io: 'input',
    description: 'A template to check; nothing is saved.',
  },
  TemplateActivate: { schema: activateBodySchema, io: 'input' },
  LintReport: { schema: lintReportSchema, io: 'output' },
  InvalidTemplate: {
    schema: invalidTemplateSchema,
    io: 'output',
    description: '422: the template has lint errors, each with its part, line and column.',
  },
  Template: { schema: templateJsonSchema, io: 'output' },
  TemplateList: { schema: templateListSchema, io: 'output' },
  TemplateVersions: { schema: templateVersionsSchema, io: 'output' },
  RenderRequest: { schema: renderBodySchema, io: 'input' },
  RenderRecipient: {
    schema: recipientSchema,
    io: 'input',
    description: 'One line of a batch render: a recipient with its merge fields (and messageUid).',
  },
  RenderResult: { schema: renderResultSchema, io: 'output' },
  RenderBatchLine: {
    schema: batchLineSchema,
    io: 'output',
    description: 'One answer line: the rendered message, an error, or (last) the summary.',
  },
};

const error = (description: string): ApiResponse => ({ description, schema: 'Error' });
const notFound = error('No such template (or version)');
const invalid = error('Invalid input: `field` names the request field at fault');
const invalidTemplate: ApiResponse = {
  description: 'The template has lint errors (`errors` lists them), or invalid input',
  schema: 'InvalidTemplate',
};
const tooLarge = error('The template is over 512 KB (`field` names its largest part)');

/** The templates API's operations. */
export const templatesOperations: readonly ApiOperation[] = [
  {
    method: 'post',
    path: '/api/templates/lint',
    tag: 'Templates',
    summary: 'Check a template without saving it',
    description:
      'Errors and warnings with `part` (subject, html, text), line and column: unsubscribe tags in the ' +
      'subject (`tag_in_subject`), a missing unsubscribe link (`missing_unsubscribe`), invalid ' +
      'Handlebars, helpers or partials (refused: templates only read data), unknown groups, …',
    body: 'TemplateLint',
    responses: {
      200: { description: 'The problems found', schema: 'LintReport' },
      413: tooLarge,
      422: invalid,
    },
  },
  {
    method: 'get',
    path: '/api/templates',
    tag: 'Templates',
    summary: 'List templates (their active versions)',
    responses: { 200: { description: 'The templates, by id', schema: 'TemplateList' } },
  },
  {
    method: 'post',
    path: '/api/templates',
    tag: 'Templates',
    summary: 'Save a new template (version 1); refused when lint finds errors',
    body: 'TemplateInput',
    responses: {
      201: { description: 'Saved, with lint warnings (Location names it)', schema: 'Template' },
      413: tooLarge,
      422: invalidTemplate,
    },
  },
  {
    method: 'get',
    path: '/api/templates/{id}',
    tag: 'Templates',
    summary: 'Get a template: the active version, or `?version=N`',
    query: versionQuerySchema,
    responses: { 200: { description: 'The version', schema: 'Template' }, 404: notFound, 422: invalid },
  },
  {
    method: 'put',
    path: '/api/templates/{id}',
    tag: 'Templates',
    summary: 'Save a new version and make it active (earlier versions are kept)',
    body: 'TemplateInput',
    responses: {
      200: { description: 'The new version', schema: 'Template' },
      404: notFound,
      413: tooLarge,
      422: invalidTemplate,
    },
  },
  {
    method: 'delete',
    path: '/api/templates/{id}',
    tag: 'Templates',
    summary: 'Delete a template with all its versions',
    responses: { 204: { description: 'Deleted' }, 404: notFound },
  },
  {
    method: 'get',
    path: '/api/templates/{id}/versions',
    tag: 'Templates',
    summary: 'List the versions of a template, newest first',
    responses: { 200: { description: 'The versions', schema: 'TemplateVersions' }, 404: notFound },
  },
  {
    method: 'post',
    path: '/api/templates/{id}/activate',
    tag: 'Templates',
    summary: 'Make an earlier (or any) version the active one',
    body: 'TemplateActivate',
    responses: {
      200: { description: 'The active version', schema: 'Template' },
      404: notFound,
      422: invalid,
    },
  },
  {
    method: 'post',
    path: '/api/render',
    tag: 'Render',
    summary: 'Render one message for one recipient (JSON, or the whole .eml)',
    description:
      'A stored template (`templateId`, optional `version`) or an inline `template`. A recipient by ' +
      '`email` is looked up. With `Accept: message/rfc822` the answer is the message as `.eml` (From: ' +
      '`from` or UNSUB_MAIL_FROM; To, Subject, List-Unsubscribe, List-Unsubscribe-Post, ' +
      'multipart/alternative text and HTML, UTF-8).',
    body: 'RenderRequest',
    responses: {
      200: {
        description: 'The rendered message',
        schema: 'RenderResult',
        otherMediaTypes: { 'message/rfc822': { type: 'string', description: 'The whole message (.eml)' } },
      },
      404: notFound,
      413: tooLarge,
      422: invalidTemplate,
    },
  },
  {
    method: 'post',
    path: '/api/templates/{id}/render',
    tag: 'Render',
    summary: 'Render a batch: NDJSON in (one recipient a line), NDJSON out, streamed',
    description:
      'Send `Content-Type: application/x-ndjson`. One answer line per input line, in order, each with ' +
      '`line`; a bad line gets `{line, error}` and the rest still render; the last line is ' +
      '`{summary: {rendered, failed}}`. Both directions stream: answers leave while lines arrive, and a ' +
      'client that stops reading stops the server reading. Blank lines are skipped.',
    query: versionQuerySchema.extend({ channel: renderBodySchema.shape.channel }),
    body: 'RenderRecipient',
    bodyMediaType: 'application/x-ndjson',
    responses: {
      200: {
        description: 'One line per recipient, then the summary',
        schema: 'RenderBatchLine',
        mediaType: 'application/x-ndjson',
      },
      404: notFound,
      415: error('The body is not NDJSON'),
      422: invalid,
    },
  },
];
