/**
 * @module The published event schemas, checked by an independent JSON Schema validator (ajv, draft
 * 2020-12): `GET /api/events/schemas` (public) and `unsub events --json-schema` serve the same
 * document, every seed sample validates against its type and against the root, wrong bodies are
 * refused; the OpenAPI document's `webhooks` section has each type with its schema, sample and the
 * Standard Webhooks headers, and its component schemas validate the samples too.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, test } from 'vitest';
import { eventsCommand } from '../../src/cli/eventsCommand.js';
import { eventSamples, eventSchemaName, eventTypes } from '../../src/events/index.js';
import { buildOpenApiDocument } from '../../src/http/openapi/index.js';
import seedSamples from '../fixtures/seed-samples.json' with { type: 'json' };
import { startConsole } from './consoleHarness.js';

type Schema = Record<string, unknown> & { $defs: Record<string, Record<string, unknown>> };

async function cliDocument(): Promise<unknown> {
  let out = '';
  await eventsCommand({ stdout: { write: (text: string) => (out += text) } }).parseAsync(['--json-schema'], {
    from: 'user',
  });
  return JSON.parse(out);
}

describe('the event JSON Schemas', () => {
  test('GET /api/events/schemas is public and equals `unsub events --json-schema`; ajv validates every sample', async (context) => {
    const { baseUrl } = await startConsole(context);
    const response = await fetch(`${baseUrl}/api/events/schemas`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/schema\+json/);
    const document = (await response.json()) as Schema;
    expect(await cliDocument()).toEqual(document);

    const ajv = new Ajv2020({ strict: true, allErrors: true });
    const validateAny = ajv.compile(document);
    expect(Object.keys(document.$defs)).toHaveLength(13);
    for (const type of eventTypes) {
      const validate =
        ajv.getSchema(`#/$defs/${eventSchemaName(type)}`) ??
        ajv.compile({ ...document.$defs[eventSchemaName(type)], $defs: undefined });
      const seed = (seedSamples.samples as { event: string }[]).find((sample) => sample.event === type);
      expect(seed, type).toBeDefined();
      expect(validate(eventSamples[type]), `${type}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      expect(validate(seed), type).toBe(true);
      expect(validateAny(eventSamples[type]), type).toBe(true);
      // Wrong bodies: a missing field, a wrong type, an unknown field, another type's name.
      const sample = eventSamples[type] as Record<string, unknown>;
      const [firstField] = Object.keys(sample).filter((key) => key !== 'event');
      const { [firstField ?? '']: _dropped, ...missing } = sample;
      expect(validate(missing), `${type} without ${firstField}`).toBe(false);
      expect(validate({ ...sample, [firstField ?? '']: [] }), `${type} with a wrong ${firstField}`).toBe(
        false,
      );
      expect(validate({ ...sample, surprise: 1 }), `${type} with an unknown field`).toBe(false);
      expect(validate({ ...sample, event: 'not an event' })).toBe(false);
    }
    expect(validateAny({ event: 'mailing group unsubscribe', email: 'a@b.c', group_id: '7' })).toBe(false);
  });

  test('the OpenAPI document describes every event under `webhooks` with its headers and sample', () => {
    const document = buildOpenApiDocument({ version: '1.0.0' });
    expect(Object.keys(document.webhooks)).toEqual([...eventTypes]);
    const ajv = new Ajv2020({ strict: false });
    ajv.addSchema({ $id: 'openapi', components: document.components }, 'openapi');
    for (const type of eventTypes) {
      const post = document.webhooks[type]?.post;
      expect(post?.parameters.map((parameter) => `${parameter.in} ${parameter.name}`)).toEqual([
        'header webhook-id',
        'header webhook-timestamp',
        'header webhook-signature',
      ]);
      const content = post?.requestBody.content['application/json'];
      expect(content?.example).toEqual(eventSamples[type]);
      expect(content?.schema).toEqual({ $ref: `#/components/schemas/${eventSchemaName(type)}` });
      const validate = ajv.getSchema(`openapi#/components/schemas/${eventSchemaName(type)}`);
      expect(validate?.(eventSamples[type]), type).toBe(true);
      expect(validate?.({ ...(eventSamples[type] as object), event: 'x' }), type).toBe(false);
    }
    expect(document.paths['/api/events/schemas']?.get).toMatchObject({ security: [] });
  });
});
