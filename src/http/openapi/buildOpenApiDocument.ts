/**
 * @module `buildOpenApiDocument`: the OpenAPI 3.1 document of the API, generated from the zod schemas
 * of `apiOperations.ts` with zod 4's `z.toJSONSchema` (JSON Schema draft 2020-12, which OpenAPI 3.1
 * uses as is). Each named schema becomes a component; schemas nested in it that have a name of their
 * own become `$ref`s to their component; unnamed recursive parts are hoisted beside it.
 */
import { z } from 'zod';
import { eventSamples, eventTypes } from '../../events/index.js';
import { apiOperations, apiSchemas, eventSchemaName, type ApiOperation } from './apiOperations.js';

/** A JSON Schema (draft 2020-12) object as `z.toJSONSchema` returns it. */
export type JsonSchema = Record<string, unknown>;

/** The OpenAPI document (the parts we produce). */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers?: { url: string }[];
  tags: { name: string }[];
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  /** What unsub POSTs to the receivers: one entry per event type (OpenAPI 3.1 `webhooks`). */
  webhooks: Record<string, { post: OpenApiWebhook }>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, Record<string, unknown>>;
  };
}

/** One operation object of the document. */
export interface OpenApiOperation {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  parameters: OpenApiParameter[];
  /** Keyed by media type: `application/json`, or e.g. `application/x-ndjson` for a stream of lines. */
  requestBody?: { required: true; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
}

/** One outgoing webhook request of the document's `webhooks` section. */
export interface OpenApiWebhook {
  operationId: string;
  tags: string[];
  summary: string;
  description: string;
  security: Record<string, string[]>[];
  parameters: OpenApiParameter[];
  requestBody: {
    required: true;
    content: { 'application/json': { schema: JsonSchema; example: unknown } };
  };
  responses: Record<string, { description: string }>;
}

/** A path, query or header parameter. */
export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

/** Options of {@link buildOpenApiDocument}. */
export interface OpenApiOptions {
  version: string;
  /** The server's URL (UNSUB_BASE_URL), listed under `servers`. */
  serverUrl?: string;
}

/** `#/components/schemas/Name` of a component. */
export function componentRef(name: string): string {
  return `#/components/schemas/${name}`;
}

/** Replaces every `$ref` of `value` through `rename` (deep copy). */
function rewriteRefs(value: unknown, rename: (ref: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, rename));
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = key === '$ref' && typeof item === 'string' ? rename(item) : rewriteRefs(item, rename);
  }
  return copy;
}

/** Converts zod schemas to components, sharing one metadata registry so names become `$ref`s. */
function createConverter() {
  const registry = z.registry<{ id: string; description?: string }>();
  for (const [name, entry] of Object.entries(apiSchemas)) {
    registry.add(entry.schema, {
      id: name,
      ...(entry.description ? { description: entry.description } : {}),
    });
  }
  const components: Record<string, JsonSchema> = {};

  const put = (name: string, schema: JsonSchema) => {
    const existing = components[name];
    if (existing && JSON.stringify(existing) !== JSON.stringify(schema)) {
      // A programmer error: one name, two shapes (e.g. a schema with a transform used both ways).
      throw new Error(`openapi: the schema ${name} converts differently in two places`);
    }
    components[name] = schema;
  };

  /**
   * Converts `schema`; its `$defs` become components (named ones under their name, unnamed ones as
   * `<owner>_<n>`), and the rest is returned with its refs pointing at the components.
   */
  const convert = (schema: z.ZodType, io: 'input' | 'output', owner: string): JsonSchema => {
    const json = z.toJSONSchema(schema, {
      metadata: registry,
      io,
      target: 'draft-2020-12',
      unrepresentable: 'any',
    }) as JsonSchema;
    const defs = (json.$defs ?? {}) as Record<string, JsonSchema>;
    const nameOf = (key: string) => (key in apiSchemas ? key : `${owner}_${key.replace(/^__schema/, '')}`);
    const rename = (ref: string) => (ref.startsWith('#/$defs/') ? componentRef(nameOf(ref.slice(8))) : ref);
    for (const [key, def] of Object.entries(defs)) put(nameOf(key), rewriteRefs(def, rename) as JsonSchema);
    const rest: JsonSchema = {};
    for (const [key, value] of Object.entries(json))
      if (key !== '$defs' && key !== '$schema') rest[key] = value;
    return rewriteRefs(rest, rename) as JsonSchema;
  };

  for (const [name, entry] of Object.entries(apiSchemas)) {
    const root = convert(entry.schema, entry.io, name);
    // A registered root converts to `{ $ref: its own name }` plus the def (already placed).
    if (root.$ref !== componentRef(name)) put(name, root);
  }
  return { components, convert };
}

/** `post /api/contacts/{id}/unsubscribe` → `postContactsIdUnsubscribe`. */
export function operationId(operation: Pick<ApiOperation, 'method' | 'path'>): string {
  const words = operation.path
    .replace(/^\/api\//, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return operation.method + words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('');
}

const ref = (name: string): JsonSchema => ({ $ref: componentRef(name) });

/** `GET /api/events/schemas`: public, like this document. */
const eventSchemasOperation: OpenApiOperation & { security: [] } = {
  operationId: 'getEventsSchemas',
  tags: ['Events'],
  summary: 'The JSON Schema of every webhook event (public)',
  description:
    'One JSON Schema (draft 2020-12) document: a definition per event type (with its sample under ' +
    '`examples`), and a root `oneOf` that accepts any event. Generated from the same zod catalog the ' +
    'server validates with; `unsub events --json-schema` prints the same document.',
  security: [],
  parameters: [],
  responses: { 200: { description: 'The JSON Schema document' } },
};

/** The Standard Webhooks headers on every delivery. */
const webhookHeaders: OpenApiParameter[] = [
  {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description: 'The delivery id (`msg_…`), the same on every retry: deduplicate on it',
    schema: { type: 'string' },
  },
  {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description: 'Seconds since the epoch when this attempt was signed; refuse ones older than 5 minutes',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      'Space-separated `v1,<base64 HMAC-SHA256>` over `<webhook-id>.<webhook-timestamp>.<body>` with the ' +
      'endpoint secret (`whsec_<base64 key>`); two during a secret rotation. Any standardwebhooks library verifies it',
    schema: { type: 'string', pattern: '^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$' },
  },
];

/** The `webhooks` entry of one event type. */
function webhookOperation(type: (typeof eventTypes)[number]): OpenApiWebhook {
  return {
    operationId: `webhook${eventSchemaName(type)}`,
    tags: ['Outgoing webhooks'],
    summary: `“${type}” sent to the endpoint of that event (or the common URL)`,
    description:
      'One event per POST, `Content-Type: application/json`, signed with the Standard Webhooks headers. ' +
      'Delivered at least once: retried on 429, 5xx and timeouts (now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), ' +
      'redirects are not followed.',
    security: [],
    parameters: webhookHeaders,
    requestBody: {
      required: true,
      content: { 'application/json': { schema: ref(eventSchemaName(type)), example: eventSamples[type] } },
    },
    responses: {
      '2XX': { description: 'Received: the delivery succeeds' },
      '410': { description: 'Gone: the delivery fails and the endpoint is disabled' },
      '429': { description: 'Retried later (honouring Retry-After)' },
      '5XX': { description: 'Retried later' },
    },
  };
}

/** Builds the document. Pure apart from zod's conversion; cheap enough to build once at start-up. */
export function buildOpenApiDocument(options: OpenApiOptions): OpenApiDocument {
  const { components, convert } = createConverter();
  const paths: OpenApiDocument['paths'] = {};
  const tags: string[] = [];

  for (const operation of apiOperations) {
    if (!tags.includes(operation.tag)) tags.push(operation.tag);
    const parameters: OpenApiParameter[] = [];
    for (const match of operation.path.matchAll(/\{([A-Za-z]+)\}/g)) {
      parameters.push({
        name: match[1] as string,
        in: 'path',
        required: true,
        description: 'A positive integer id',
        schema: { type: 'integer', minimum: 1 },
      });
    }
    if (operation.query) {
      const query = convert(operation.query, 'input', `${operationId(operation)}Query`);
      const properties = (query.properties ?? {}) as Record<string, JsonSchema>;
      const required = (query.required ?? []) as string[];
      for (const [name, schema] of Object.entries(properties)) {
        parameters.push({ name, in: 'query', required: required.includes(name), schema });
      }
    }
    const responses: OpenApiOperation['responses'] = {};
    for (const [status, response] of Object.entries(operation.responses)) {
      const content: Record<string, { schema: JsonSchema }> = {
        ...(response.schema
          ? { [response.mediaType ?? 'application/json']: { schema: ref(response.schema) } }
          : {}),
        ...Object.fromEntries(
          Object.entries(response.otherMediaTypes ?? {}).map(([type, schema]) => [type, { schema }]),
        ),
      };
      responses[status] =
        Object.keys(content).length > 0
          ? { description: response.description, content }
          : { description: response.description };
    }
    responses['401'] = {
      description: 'The bearer token is missing or wrong',
      content: { 'application/json': { schema: ref('Error') } },
    };
    const entry: OpenApiOperation = {
      operationId: operationId(operation),
      tags: [operation.tag],
      summary: operation.summary,
      ...(operation.description ? { description: operation.description } : {}),
      parameters,
      ...(operation.body
        ? {
            requestBody: {
              required: true,
              content: { [operation.bodyMediaType ?? 'application/json']: { schema: ref(operation.body) } },
            },
          }
        : {}),
      responses,
    };
    (paths[operation.path] ??= {})[operation.method] = entry;
  }

  paths['/api/events/schemas'] = { get: eventSchemasOperation };
  if (!tags.includes('Events')) tags.push('Events');
  tags.push('Outgoing webhooks');

  return {
    openapi: '3.1.0',
    info: {
      title: 'unsub API',
      version: options.version,
      description:
        'The admin API of unsub: groups, contacts and their subscriptions, page branding, webhook ' +
        'settings with test-before-save, event ingestion and the delivery log. Every operation needs ' +
        '`Authorization: Bearer <UNSUB_ADMIN_TOKEN>`. Errors are `{ "error": { "code", "message", "field"? } }`.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    tags: tags.map((name) => ({ name })),
    security: [{ bearerAuth: [] }],
    paths,
    webhooks: Object.fromEntries(eventTypes.map((type) => [type, { post: webhookOperation(type) }])),
    components: {
      schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'The admin token: UNSUB_ADMIN_TOKEN, or the one printed on the first start',
        },
      },
    },
  };
}
