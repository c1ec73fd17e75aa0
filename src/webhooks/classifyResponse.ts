/**
 * @module What one delivery attempt's outcome means for the delivery: done, retry later, give up,
 * or give up and disable the endpoint.
 */

/** The outcome of one attempt. */
export type AttemptOutcome = 'success' | 'retry' | 'fail' | 'disable';

/** Why an attempt got no HTTP response (the `error.code` of a send result). */
export type SendErrorCode =
  | 'invalid_url'
  | 'address_refused'
  | 'dns_failure'
  | 'timeout'
  | 'connection_refused'
  | 'connection_reset'
  | 'network_unreachable'
  | 'tls_error'
  | 'network_error';

/** Errors that say nothing about whether the next try succeeds: transient network trouble. */
const retryableErrors: ReadonlySet<string> = new Set<SendErrorCode>([
  'dns_failure',
  'timeout',
  'connection_refused',
  'connection_reset',
  'network_unreachable',
  // Certificates get renewed; an expired one is a reason to wait, not to drop the event.
  'tls_error',
  'network_error',
]);

/**
 * Classifies an attempt by its HTTP status or, without a response, by its error:
 * 2xx → `success`; 410 Gone → `disable`; 408, 429 and 5xx → `retry`; any other 4xx and every 3xx
 * (redirects are never followed) → `fail`; network errors, timeouts and DNS failures → `retry`;
 * a refused address or an invalid URL → `fail` (retrying cannot change a configuration error).
 */
export function classifyResponse(result: number | { code: SendErrorCode | string }): AttemptOutcome {
  if (typeof result !== 'number') return retryableErrors.has(result.code) ? 'retry' : 'fail';
  if (result >= 200 && result < 300) return 'success';
  if (result === 410) return 'disable';
  if (result === 408 || result === 429 || result >= 500) return 'retry';
  return 'fail';
}
