/**
 * @module `unsub events [--json | --json-schema]`: lists the event catalog, each type with its fields and sample body.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { eventJsonSchemaDocument, eventSamples, eventSchemas, eventTypes } from '../events/index.js';

/** Where the command writes (tests pass their own). */
export interface EventsCommandIo {
  stdout: { write(text: string): unknown };
}

type JsonSchema = {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
};

/** A field's type in one short word: `integer`, `string[]`, `instant|scheduled|…`, `"message sent"`. */
function describeType(schema: JsonSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.join('|');
  if (schema.type === 'array' && schema.items) return `${describeType(schema.items)}[]`;
  return schema.type ?? 'any';
}

/** The catalog as data: name, JSON Schema of the body, sample body. */
function catalog() {
  return eventTypes.map((event) => ({
    event,
    schema: z.toJSONSchema(eventSchemas[event]) as JsonSchema & Record<string, unknown>,
    sample: eventSamples[event],
  }));
}

/** Builds `unsub events`. */
export function eventsCommand(io: EventsCommandIo = { stdout: process.stdout }): Command {
  return new Command('events')
    .description('list the webhook event types with their fields and sample bodies')
    .option('--json', 'print [{ event, schema (JSON Schema), sample }] as JSON')
    .option(
      '--json-schema',
      'print one JSON Schema (draft 2020-12) of every event, as GET /api/events/schemas serves it',
    )
    .action((options: { json?: boolean; jsonSchema?: boolean }) => {
      if (options.jsonSchema) {
        io.stdout.write(JSON.stringify(eventJsonSchemaDocument(), null, 2) + '\n');
        return;
      }
      const entries = catalog();
      if (options.json) {
        io.stdout.write(JSON.stringify(entries, null, 2) + '\n');
        return;
      }
      const lines: string[] = [];
      for (const { event, schema, sample } of entries) {
        lines.push(event);
        for (const [field, fieldSchema] of Object.entries(schema.properties ?? {})) {
          lines.push(`  ${field.padEnd(14)} ${describeType(fieldSchema)}`);
        }
        lines.push(`  sample: ${JSON.stringify(sample)}`, '');
      }
      io.stdout.write(lines.join('\n'));
    });
}
