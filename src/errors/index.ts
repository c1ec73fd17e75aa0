/**
 * @module The base error of unsub. Every part throws (or returns) an `UnsubError` subclass with a
 * stable `code`; `http/errors.ts` is the one place that maps codes to HTTP status and page/JSON shape.
 */

/** Options every unsub error accepts. */
export interface UnsubErrorOptions {
  /** The underlying error, kept for logs; never shown to a stranger. */
  cause?: unknown;
  /** The input field, variable or path at fault, when there is one. */
  field?: string;
}

/**
 * Base error with a stable machine-readable `code`. Subclasses narrow `code` to their part's union.
 * Messages speak to the user and name the fix.
 */
export class UnsubError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly field: string | undefined;

  constructor(code: Code, message: string, options: UnsubErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.field = options.field;
  }
}

/** True when `value` is an unsub error (of any part). */
export function isUnsubError(value: unknown): value is UnsubError {
  return value instanceof UnsubError;
}
