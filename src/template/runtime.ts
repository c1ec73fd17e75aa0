/**
 * @module template's second entry, for render threads: rendering a template built from the spec
 * another thread compiled (`templateFromSpec(compiled.spec)`), without the grammar. Importing the
 * main entry loads the tag parser (chevrotain and the hundreds of lodash-es modules it imports:
 * about 0.3 s of CPU per thread on an idle core, much more under load) which a thread that only
 * renders never uses. Everything here is also exported by the main entry.
 */
export {
  linkFormFor,
  templateFromSpec,
  type CompiledTemplate,
  type LinkForm,
  type TemplateSpec,
} from './templateProgram.js';
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
export { TemplateError, type TemplateErrorCode } from './templateError.js';
