/** @module The error the template part throws for bad catalogs, recipients or render options. */
import { UnsubError, type UnsubErrorOptions } from '../errors/index.js';

/** Stable codes of template failures (template *source* problems are returned as `TagError`s instead). */
export type TemplateErrorCode =
  'invalid_catalog' | 'invalid_recipient' | 'invalid_render_options' | 'render_failed';

/** A catalog, recipient or render call the template part cannot work with. */
export class TemplateError extends UnsubError<TemplateErrorCode> {
  constructor(code: TemplateErrorCode, message: string, options: UnsubErrorOptions = {}) {
    super(code, message, options);
  }
}
