/**
 * @module The API documentation page (`GET /api/docs`): the OpenAPI document rendered on the server
 * as plain HTML — operations by tag with their parameters, bodies and responses, then every schema
 * as a table of properties with links between them. No script and no external CDN.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { packageRoot } from '../../version.js';
import type { JsonSchema, OpenApiDocument } from './buildOpenApiDocument.js';

/** The folder holding the page's view. */
export const apiDocsViewsDir: string = path.join(packageRoot, 'src', 'http', 'openapi', 'views');

/** A piece of a type label: text, or a link to a named schema. */
export type TypePart = { text: string } | { ref: string };

/** The component name of a `#/components/schemas/Name` ref. */
function refName(ref: string): string {
  return ref.replace(/^#\/components\/schemas\//, '');
}

function join(parts: TypePart[][], separator: string): TypePart[] {
  return parts.flatMap((part, index) => (index === 0 ? part : [{ text: separator }, ...part]));
}

/** A short, readable type of a JSON Schema: `string (date-time)`, `array of Group`, `"a" | "b"`, … */
export function typeParts(schema: JsonSchema | undefined): TypePart[] {
  if (!schema || Object.keys(schema).length === 0) return [{ text: 'any' }];
  if (typeof schema.$ref === 'string') return [{ ref: refName(schema.$ref) }];
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(union)) return join(union.map(typeParts), ' | ');
  if ('const' in schema) return [{ text: JSON.stringify(schema.const) }];
  if (Array.isArray(schema.enum))
    return [{ text: schema.enum.map((value) => JSON.stringify(value)).join(' | ') }];
  if (Array.isArray(schema.type)) {
    return join(
      schema.type.map((type) => typeParts({ ...schema, type: type as string })),
      ' | ',
    );
  }
  switch (schema.type) {
    case 'array':
      return [{ text: 'array of ' }, ...typeParts(schema.items as JsonSchema | undefined)];
    case 'object':
      return schema.properties === undefined && typeof schema.additionalProperties === 'object'
        ? [{ text: 'map of ' }, ...typeParts(schema.additionalProperties as JsonSchema)]
        : [{ text: 'object' }];
    case 'string':
      return [{ text: typeof schema.format === 'string' ? `string (${schema.format})` : 'string' }];
    default:
      return [{ text: typeof schema.type === 'string' ? schema.type : 'any' }];
  }
}

/** Limits worth showing beside a type. */
function constraints(schema: JsonSchema): string {
  const notes: string[] = [];
  for (const [key, label] of [
    ['minLength', 'min length'],
    ['maxLength', 'max length'],
    ['minimum', 'min'],
    ['maximum', 'max'],
    ['exclusiveMinimum', 'above'],
    ['minItems', 'min items'],
    ['maxItems', 'max items'],
  ] as const) {
    const value = schema[key];
    if (typeof value === 'number' && Math.abs(value) < Number.MAX_SAFE_INTEGER)
      notes.push(`${label} ${value}`);
  }
  return notes.join(', ');
}

/** The rows of an object schema's property table (empty for other schemas). */
function propertyRows(schema: JsonSchema) {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = (schema.required ?? []) as string[];
  return Object.entries(properties).map(([name, property]) => ({
    name,
    type: typeParts(property),
    required: required.includes(name),
    description: typeof property.description === 'string' ? property.description : '',
    constraints: constraints(property),
  }));
}

/** The page's data from the document. */
export function apiDocsData(document: OpenApiDocument) {
  const operations = Object.entries(document.paths).flatMap(([route, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      ...operation,
      method: method.toUpperCase(),
      methodClass: method,
      path: route,
      parameters: operation.parameters.map((parameter) => ({
        ...parameter,
        type: typeParts(parameter.schema),
      })),
      body: operation.requestBody
        ? typeParts(Object.values(operation.requestBody.content)[0]!.schema)
        : undefined,
      responses: Object.entries(operation.responses)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([status, response]) => ({
          status,
          description: response.description,
          type: response.content ? typeParts(Object.values(response.content)[0]!.schema) : undefined,
        })),
    })),
  );
  return {
    info: document.info,
    tags: document.tags.map((tag) => ({
      name: tag.name,
      anchor: `tag-${tag.name.replace(/[^A-Za-z0-9]+/g, '-')}`,
      operations: operations.filter((operation) => operation.tags.includes(tag.name)),
    })),
    schemas: Object.entries(document.components.schemas).map(([name, schema]) => ({
      name,
      description: typeof schema.description === 'string' ? schema.description : '',
      rows: propertyRows(schema),
      type: typeParts(schema),
      json: JSON.stringify(schema, null, 2),
    })),
  };
}

/** Compiles the page's view once; returns the renderer. */
export function createApiDocsRenderer(
  viewsDir = apiDocsViewsDir,
): (document: OpenApiDocument, stylesheetHref: string) => string {
  const handlebars = Handlebars.create();
  handlebars.registerPartial(
    'type',
    '{{#each this}}{{#if ref}}<a href="#schema-{{ref}}">{{ref}}</a>{{else}}{{text}}{{/if}}{{/each}}',
  );
  const template = handlebars.compile(readFileSync(path.join(viewsDir, 'apiDocs.hbs'), 'utf8'));
  return (document, stylesheetHref) => template({ ...apiDocsData(document), stylesheetHref });
}
