/**
 * @module messageTemplates: stored, versioned message templates (subject, HTML, text; e-mail or
 * SMS) beside the pure engine in `template/`, which compiles and renders every part. Lint on save,
 * a bounded cache of compiled versions, a message's render (subject, HTML, text, headers, links)
 * and its `.eml`. Other parts import only this entry.
 */
export {
  createMessageTemplates,
  type MessageTemplates,
  type MessageTemplatesOptions,
  type LintReport,
  type CompiledStoredTemplate,
} from './createMessageTemplates.js';
export {
  compileMessage,
  type CompiledMessage,
  type CompileMessageResult,
  type LintProblem,
  type TemplatePart,
} from './compileMessage.js';
export { renderMessage, renderMessageJson, type RenderedMessage } from './renderMessage.js';
export { buildEml, type EmlOptions } from './buildEml.js';
export { contactFields, resolveRecipient, type RecipientInput } from './recipientInput.js';
export { htmlToTextTemplate, textFromHtml } from './htmlToTextTemplate.js';
export { createCompiledCache, type CompiledCache, type CompiledCacheOptions } from './compiledCache.js';
export {
  lintInputSchema,
  maxTemplateBytes,
  templateInputSchema,
  templateContent,
  templateParts,
  checkTemplateSize,
  type LintInput,
  type TemplateInput,
  type TemplateParts,
} from './templateContent.js';
export { MessageTemplateError, type MessageTemplateErrorCode } from './messageTemplateError.js';
