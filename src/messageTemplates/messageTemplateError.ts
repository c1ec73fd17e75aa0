/** @module The error of the message-templates part: stable codes, the field at fault, lint problems. */
import { UnsubError, type UnsubErrorOptions } from '../errors/index.js';
import type { LintProblem } from './compileMessage.js';

/** Stable codes of `MessageTemplateError`. */
export type MessageTemplateErrorCode =
  /** The template has lint errors (listed in `problems`). */
  | 'invalid_template'
  /** A part, or all parts together, exceed `maxTemplateBytes`. */
  | 'template_too_large'
  | 'template_not_found'
  | 'template_version_not_found'
  /** A recipient given by e-mail that is no contact. */
  | 'recipient_not_found'
  /** A recipient the engine cannot render for (no contactId, bad fields). */
  | 'invalid_recipient'
  /** A `.eml` needs a sender: the request's `from` or UNSUB_MAIL_FROM. */
  | 'missing_from'
  | 'invalid_input';

/** A template or render request the part refuses. */
export class MessageTemplateError extends UnsubError<MessageTemplateErrorCode> {
  /** For `invalid_template`: every error found, as lint reports them. */
  readonly problems: readonly LintProblem[];

  constructor(
    code: MessageTemplateErrorCode,
    message: string,
    options: UnsubErrorOptions & { problems?: readonly LintProblem[] } = {},
  ) {
    super(code, message, options);
    this.problems = options.problems ?? [];
  }
}
