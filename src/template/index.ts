/**
 * @module template: compile a template once (tags → signed-link helper calls, groups → ids), then
 * render it per recipient into HTML, signed links and List-Unsubscribe headers. Other parts import
 * only this entry.
 */
export {
  compile,
  linkFormFor,
  type CompileOptions,
  type CompileResult,
  type CompiledTemplate,
  type LinkForm,
} from './compile.js';
export { templateFromSpec, type TemplateSpec } from './templateProgram.js';
export { measureSms, measureSmsTemplate, type SmsLength } from './measureSms.js';
export {
  render,
  renderJson,
  headersJson,
  linksJson,
  type Recipient,
  type RenderJsonResult,
  type RenderOptions,
  type RenderResult,
  type RenderedLink,
} from './render.js';
export {
  GroupResolver,
  parseGroupCatalog,
  type GroupCatalog,
  type GroupInfo,
  type GroupResolution,
} from './groupCatalog.js';
export type { LinkSlot } from './linkSlots.js';
export { TemplateError, type TemplateErrorCode } from './templateError.js';
export type { TagError, TagErrorCode } from '../../grammar/index.js';
