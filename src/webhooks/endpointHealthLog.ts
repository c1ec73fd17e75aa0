/**
 * @module `createEndpointHealthLog`: the dispatcher's log of endpoint STATE changes — starts
 * failing, recovers, disabled, re-enabled — one line per change instead of one per attempt (a failing
 * endpoint with thousands of retries must not flood the log). The state a worker last saw per
 * endpoint is remembered in-process, seeded from the claimed delivery's failure run, so attempts in
 * flight together log a change once. Only the endpoint's id and origin are logged: a receiver's
 * path and query often carry its own secret.
 */
import type { AttemptDecision } from './decideAttempt.js';

/** The log it writes to (the dispatcher's logger). */
export interface HealthLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** What one attempt contributes. */
export interface HealthNote {
  endpointId: number;
  url: string;
  /** The endpoint's failure run when the delivery was claimed (null: healthy). */
  endpointFirstFailureAt: number | null | undefined;
  decision: Pick<AttemptDecision, 'outcome' | 'disableEndpoint'>;
  /** When the attempt ended (ms). */
  at: number;
}

/** The origin of a URL (scheme, host, port) or `(invalid URL)`. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

/** Creates the log; call `note` after every attempt. */
export function createEndpointHealthLog(logger: HealthLogger): { note(note: HealthNote): void } {
  // Per endpoint: the start of its failure run, null when healthy, 'disabled' after it was disabled.
  const failingSince = new Map<number, number | null | 'disabled'>();
  return {
    note({ endpointId, url, endpointFirstFailureAt, decision, at }) {
      // Built only for a line actually written: parsing the URL on every attempt cost the SQLite
      // dispatcher measurable CPU per delivery, and almost every attempt changes no state.
      const name = () => `webhook endpoint ${endpointId} (${originOf(url)})`;
      let known = failingSince.has(endpointId)
        ? failingSince.get(endpointId)
        : (endpointFirstFailureAt ?? null);
      if (known === 'disabled') {
        // Only an enabled endpoint is claimed again: someone re-enabled it.
        logger.info(`${name()} re-enabled: attempting deliveries again`);
        known = endpointFirstFailureAt ?? null;
      }
      if (decision.disableEndpoint) {
        logger.warn(
          `${name()} disabled: ${
            decision.disableEndpoint === 'gone'
              ? 'it answered 410 Gone'
              : `it has only failed since ${new Date(known ?? at).toISOString()}`
          }`,
        );
        failingSince.set(endpointId, 'disabled');
        return;
      }
      if (decision.outcome === 'succeeded') {
        if (known !== null && known !== undefined) {
          logger.info(
            `${name()} recovered: delivering again after failing since ${new Date(known).toISOString()}`,
          );
        }
        failingSince.set(endpointId, null);
        return;
      }
      if (known === null || known === undefined) {
        logger.warn(`${name()} failing since ${new Date(at).toISOString()}`);
        failingSince.set(endpointId, at);
      } else {
        failingSince.set(endpointId, known);
      }
    },
  };
}
