/**
 * @module `eventJsonSchemaDocument`: the event catalog as ONE JSON Schema (draft 2020-12) for
 * receivers in any language — a `$defs` entry per event type, generated from its zod schema with
 * `z.toJSONSchema` and carrying its sample as an example, and a root `oneOf` that accepts any event.
 * Served at `GET /api/events/schemas`, printed by `unsub events --json-schema`, and used by the
 * OpenAPI document's `webhooks` section.
 */
import { z } from 'zod';
import { eventSamples } from './eventSamples.js';
import { eventSchemas, eventTypes, type EventType } from './eventSchemas.js';

/** A JSON Schema object. */
export type EventJsonSchema = Record<string, unknown>;

/** `message sent` → `MessageSentEvent`: the `$defs` (and OpenAPI component) name of an event type. */
export function eventSchemaName(type: EventType): string {
  return `${type.replace(/(^|\s)(\p{L})/gu, (_match, _space: string, letter: string) => letter.toUpperCase())}Event`;
}

/** The JSON Schema of one event type's body (no `$schema`: it is embedded in bigger documents). */
export function eventJsonSchema(type: EventType): EventJsonSchema {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(eventSchemas[type], {
    target: 'draft-2020-12',
  }) as EventJsonSchema;
  return { title: type, ...schema, examples: [eventSamples[type]] };
}

/** The whole catalog as one JSON Schema document (see the module comment). */
export function eventJsonSchemaDocument(): EventJsonSchema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'unsub webhook events',
    description:
      'The body of every webhook unsub sends: one JSON object whose `event` field names its type. ' +
      'Each type is under $defs; the root accepts any of them.',
    oneOf: eventTypes.map((type) => ({ $ref: `#/$defs/${eventSchemaName(type)}` })),
    $defs: Object.fromEntries(eventTypes.map((type) => [eventSchemaName(type), eventJsonSchema(type)])),
  };
}
