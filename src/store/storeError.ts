/**
 * @module The store's error: stable codes for the conditions callers act on (a missing row, a
 * uniqueness conflict, a bad option), each naming the field at fault.
 */
import { UnsubError, type UnsubErrorOptions } from '../errors/index.js';

/** Stable codes of `StoreError`. */
export type StoreErrorCode =
  | 'contact_not_found'
  | 'group_not_found'
  | 'email_taken'
  | 'system_name_taken'
  | 'channel_mismatch'
  | 'invalid_input'
  | 'invalid_option'
  | 'endpoint_not_found'
  | 'template_not_found'
  | 'template_version_not_found'
  | 'migration_failed'
  | 'unavailable';

/** A store failure that callers can act on; other errors (driver bugs, I/O) pass through as-is. */
export class StoreError extends UnsubError<StoreErrorCode> {
  constructor(code: StoreErrorCode, message: string, options: UnsubErrorOptions = {}) {
    super(code, message, options);
  }
}
