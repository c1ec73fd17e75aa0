/**
 * @module Errors of the links part: key file and configuration problems, and claims refused at
 * signing time. Verification never throws; it returns a `LinkVerification` value instead.
 */
import { UnsubError, type UnsubErrorOptions } from '../errors/index.js';

/** Codes of `LinkKeyError`. */
export type LinkKeyErrorCode =
  | 'keys_file_invalid'
  | 'keys_file_missing'
  | 'keys_file_unreadable'
  | 'keys_file_exists'
  | 'max_age_too_short'
  | 'unknown_kid'
  | 'retire_signing_key';

/** A key ring or key file problem; the message names the file or variable and the fix. */
export class LinkKeyError extends UnsubError<LinkKeyErrorCode> {}

/** Claims that cannot be signed (a programmer error of the caller, e.g. a group id of 0). */
export class LinkClaimsError extends UnsubError<'invalid_claims'> {
  constructor(message: string, options: UnsubErrorOptions = {}) {
    super('invalid_claims', message, options);
  }
}
