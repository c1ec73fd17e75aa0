/**
 * @module Parsing untrusted event bodies (from `POST /api/events`, a receiver, a queue) into typed
 * catalog events, with issues that name the item and the field at fault.
 */
import type { z } from 'zod';
import { eventSchemas, eventTypes, type EventType, type MailingEvent } from './eventSchemas.js';

/** One problem with an input event: where (`path` inside the event) and what. */
export interface EventIssue {
  /** Field path inside the event, e.g. `['groups_ids', 1]`; `[]` for the event as a whole. */
  path: (string | number)[];
  /** A stable code: zod's issue code, or `unknown_event` / `not_an_object`. */
  code: string;
  message: string;
}

/** An issue of one item of a batch (`index` is the item's position; 0 for a single event). */
export interface EventBatchIssue extends EventIssue {
  index: number;
}

/** The result of {@link parseEvent}. */
export type ParseEventResult = { ok: true; event: MailingEvent } | { ok: false; issues: EventIssue[] };

/** The result of {@link parseEvents}: all events, or every issue of every item. */
export type ParseEventsResult =
  { ok: true; events: MailingEvent[] } | { ok: false; issues: EventBatchIssue[] };

/**
 * Spellings accepted on input for a catalog name. The seed's page writes `сomplaint` with a Cyrillic
 * `с` (U+0441) in every public copy, so senders built from it send that; on the wire we use Latin.
 */
const aliases: ReadonlyMap<string, EventType> = new Map([['\u0441omplaint', 'complaint']]);

const known: ReadonlySet<string> = new Set(eventTypes);

/** True when `name` is one of the 13 canonical event type names. */
export function isEventType(name: string): name is EventType {
  return known.has(name);
}

/**
 * Maps an accepted input spelling of an event name to its canonical name (`сomplaint` with a
 * Cyrillic `с` → `complaint`); any other string is returned unchanged.
 */
export function normalizeEventName(name: string): string {
  return aliases.get(name) ?? name;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * zod's issues as ours. An `unrecognized_keys` issue lists its keys with the path of the object that
 * holds them; it becomes one issue per key with the key in the path, so callers can name the field
 * (`0.extra_field`) as they do for every other problem.
 */
function fromZod(issues: z.core.$ZodIssue[], eventName: EventType): EventIssue[] {
  return issues.flatMap((issue): EventIssue[] => {
    const path = issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key));
    if (issue.code !== 'unrecognized_keys') return [{ path, code: issue.code, message: issue.message }];
    return issue.keys.map((key) => ({
      path: [...path, key],
      code: issue.code,
      message: `"${key}" is not a field of "${eventName}" events; remove it`,
    }));
  });
}

/**
 * Validates one event body against the catalog. The `event` name is normalised first (Cyrillic
 * `сomplaint` → `complaint`); the returned event has the schema's key order, so it serialises as
 * the catalog's bodies do. Never throws.
 */
export function parseEvent(input: unknown): ParseEventResult {
  if (!isRecord(input)) {
    return {
      ok: false,
      issues: [{ path: [], code: 'not_an_object', message: 'an event must be a JSON object' }],
    };
  }
  const name = typeof input.event === 'string' ? normalizeEventName(input.event) : undefined;
  if (name === undefined || !isEventType(name)) {
    const got =
      name === undefined ? `got ${input.event === undefined ? 'nothing' : typeof input.event}` : `"${name}"`;
    return {
      ok: false,
      issues: [
        {
          path: ['event'],
          code: 'unknown_event',
          message: `event must be one of ${eventTypes.map((type) => `"${type}"`).join(', ')}; ${got}`,
        },
      ],
    };
  }
  const parsed = eventSchemas[name].safeParse(name === input.event ? input : { ...input, event: name });
  return parsed.success
    ? { ok: true, event: parsed.data as MailingEvent }
    : { ok: false, issues: fromZod(parsed.error.issues, name) };
}

/**
 * Validates one event or an array of events, all or nothing: either every item is valid, or the
 * result lists every issue of every item with the item's `index` (0 for a single event).
 */
export function parseEvents(input: unknown): ParseEventsResult {
  const items = Array.isArray(input) ? input : [input];
  const events: MailingEvent[] = [];
  const issues: EventBatchIssue[] = [];
  items.forEach((item, index) => {
    const result = parseEvent(item);
    if (result.ok) events.push(result.event);
    else issues.push(...result.issues.map((issue) => ({ index, ...issue })));
  });
  return issues.length === 0 ? { ok: true, events } : { ok: false, issues };
}
