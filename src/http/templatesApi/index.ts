/**
 * @module The templates HTTP API (under `/api`, admin bearer): stored message templates with
 * versions and lint, and render — one message as JSON or `.eml`, or an NDJSON batch streamed.
 */
export { templatesApiRouter, templatesBodyLimit, type TemplatesApiOptions } from './templatesApiRouter.js';
export { maxBatchLineLength } from './batchLines.js';
export {
  localRenderer,
  renderThreads,
  type MessageRenderer,
  type RenderThreadsOptions,
} from './renderThreads.js';
export {
  activateBodySchema,
  batchLineSchema,
  invalidTemplateSchema,
  lintBodySchema,
  lintReportSchema,
  recipientSchema,
  renderBodySchema,
  renderResultSchema,
  templateBodySchema,
  templateJson,
  templateJsonSchema,
  templateListSchema,
  templateVersionsSchema,
  versionQuerySchema,
  type TemplateJson,
} from './templatesApiSchemas.js';
