/**
 * @module The subscriptions part's error: stable codes callers map to responses (`http/errors.ts`)
 * or CLI messages, each naming the input field at fault.
 */
import { UnsubError, type UnsubErrorOptions } from '../errors/index.js';
import { StoreError } from '../store/index.js';

/** Stable codes of `SubscriptionError`. */
export type SubscriptionErrorCode =
  | 'contact_not_found'
  | 'group_not_found'
  | 'email_taken'
  | 'system_name_taken'
  | 'channel_mismatch'
  | 'invalid_input';

/** A subscription command refused its input or found something missing. */
export class SubscriptionError extends UnsubError<SubscriptionErrorCode> {
  constructor(code: SubscriptionErrorCode, message: string, options: UnsubErrorOptions = {}) {
    super(code, message, options);
  }
}

const passedThrough = new Set<string>([
  'contact_not_found',
  'group_not_found',
  'email_taken',
  'system_name_taken',
  'channel_mismatch',
  'invalid_input',
]);

/** Turns a `StoreError` the caller can act on into a `SubscriptionError`; other errors pass as-is. */
export function fromStoreError(error: unknown): unknown {
  if (error instanceof StoreError && passedThrough.has(error.code)) {
    return new SubscriptionError(error.code as SubscriptionErrorCode, error.message, {
      field: error.field,
      cause: error,
    });
  }
  return error;
}
