/**
 * @module The event sequence headers of every delivery: `unsub-event-seq` (the outbox id, which
 * grows with commit order per contact) and `unsub-event-time` (when the event was committed, RFC
 * 3339 with milliseconds, UTC). They are NOT covered by the Standard Webhooks signature (which
 * signs id, timestamp and body only), so a receiver trusts them as far as it trusts the channel;
 * they let it keep the newest state per contact and ignore an older event arriving late (a
 * replay, a manual retry).
 */

/** Header names (lower case, as node:http hands them over). */
export const eventSeqHeader = 'unsub-event-seq';
export const eventTimeHeader = 'unsub-event-time';

/** The two headers of one delivery. */
export type EventSequenceHeaders = { 'unsub-event-seq': string; 'unsub-event-time': string };

/**
 * The sequence headers of an event: `seq` its outbox id (0 for test-before-save samples, which are
 * no outbox event: lower than every real one), `at` its commit time in ms.
 */
export function eventSequenceHeaders(seq: number, at: number): EventSequenceHeaders {
  return {
    [eventSeqHeader]: String(seq),
    [eventTimeHeader]: new Date(at).toISOString(),
  } as EventSequenceHeaders;
}

/** The seq and time of a received delivery; null where a header is absent (another sender). */
export interface EventSequence {
  /**
   * `unsub-event-seq`: the event's outbox id, or null when absent (not sent by unsub). Per contact
   * it grows with commit order: keep the highest seen per contact and ignore lower ones.
   */
  seq: number | null;
  /** `unsub-event-time`: when the event was committed, or null when absent. */
  time: Date | null;
}

/** RFC 3339 date-time (offset or Z, optional fraction), as `unsub-event-time` is written. */
const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Parses the two header values. Returns a problem (header name and what is wrong) for a value that
 * is present but malformed.
 */
export function parseEventSequence(
  seq: string | undefined,
  time: string | undefined,
): { ok: true; value: EventSequence } | { ok: false; field: string; message: string } {
  let parsedSeq: number | null = null;
  if (seq !== undefined) {
    if (!/^\d{1,15}$/.test(seq.trim()))
      return { ok: false, field: eventSeqHeader, message: `${eventSeqHeader} must be a whole number` };
    parsedSeq = Number(seq.trim());
  }
  let parsedTime: Date | null = null;
  if (time !== undefined) {
    const value = time.trim();
    const date = new Date(value);
    if (!rfc3339.test(value) || Number.isNaN(date.getTime()))
      return {
        ok: false,
        field: eventTimeHeader,
        message: `${eventTimeHeader} must be an RFC 3339 date-time`,
      };
    parsedTime = date;
  }
  return { ok: true, value: { seq: parsedSeq, time: parsedTime } };
}
