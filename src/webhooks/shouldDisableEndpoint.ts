/**
 * @module When an endpoint that keeps failing is switched off (its deliveries stop until the sender
 * re-enables it), as a pure function of its failure history.
 */

/** An endpoint that has failed, with no success in between, for this long is disabled (5 days). */
export const disableAfterMs = 5 * 24 * 60 * 60 * 1000;

/** What {@link shouldDisableEndpoint} looks at. */
export interface EndpointFailureHistory {
  /** Time (ms) of the first failed attempt after the last successful one; `undefined` if none. */
  failingSince: number | undefined;
  /** The current time in milliseconds. */
  now: number;
  /** Override of {@link disableAfterMs} (a test configuration compresses it). */
  windowMs?: number;
}

/**
 * True when the endpoint has only failed for the whole window: every attempt since `failingSince`
 * failed and `failingSince` is at least `windowMs` ago. (A 410 disables at once; that is decided
 * by {@link classifyResponse}, not here.)
 */
export function shouldDisableEndpoint({
  failingSince,
  now,
  windowMs = disableAfterMs,
}: EndpointFailureHistory): boolean {
  return failingSince !== undefined && now - failingSince >= windowMs;
}
