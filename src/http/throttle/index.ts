/**
 * @module Throttling of guessed credentials: the console sign-in and the admin API answer 429 with
 * `Retry-After` to an address after too many wrong tokens, without slowing anyone else.
 */
export {
  createFailureThrottle,
  type FailureThrottle,
  type FailureThrottleOptions,
} from './createFailureThrottle.js';
