/**
 * @module The generated OpenAPI document: every route of the admin and webhooks API routers has an
 * operation, every `$ref` resolves, request bodies are exactly what `z.toJSONSchema` makes of the
 * schemas the routes validate with, and both documentation routes are public.
 */
import type { Router } from 'express';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { eventSamples, eventTypes } from '../../src/events/index.js';
import { createAdminRouter } from '../../src/http/admin/index.js';
import { buildOpenApiDocument, componentRef, type JsonSchema } from '../../src/http/openapi/index.js';
import { templatesApiRouter } from '../../src/http/templatesApi/index.js';
import { webhooksApiRoutes } from '../../src/http/webhooksApi/index.js';
import type { MessageTemplates } from '../../src/messageTemplates/index.js';
import type { KeyRing } from '../../src/links/index.js';
import type { Store } from '../../src/store/index.js';
import { createGroupSchema, type Subscriptions } from '../../src/subscriptions/index.js';
import type { WebhookSettings } from '../../src/webhooks/index.js';
import { startConsole } from './consoleHarness.js';

const document = buildOpenApiDocument({ version: '9.9.9', serverUrl: 'https://unsub.example.com' });

/** `METHOD /path` of every route in an Express router, nested routers included. */
function routesOf(router: Router, prefix: string): string[] {
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
  const walk = (stack: Layer[]): string[] =>
    stack.flatMap((layer) =>
      layer.route
        ? Object.keys(layer.route.methods).map((method) => `${method} ${prefix}${layer.route?.path}`)
        : layer.handle?.stack
          ? walk(layer.handle.stack)
          : [],
    );
  return walk((router as unknown as { stack: Layer[] }).stack);
}

/** Every `$ref` string in a value. */
function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) =>
    key === '$ref' && typeof item === 'string' ? [item] : refsIn(item),
  );
}

describe('the OpenAPI document', () => {
  test('has an operation for every admin and webhooks API route', () => {
    const router = createAdminRouter({
      store: {} as Store,
      subscriptions: {} as Subscriptions,
      adminToken: 'x'.repeat(32),
      routes: [webhooksApiRoutes({ store: {} as Store, settings: {} as WebhookSettings })],
    });
    const templates = templatesApiRouter({
      store: {} as Store,
      messageTemplates: {} as MessageTemplates,
      keyRing: {} as KeyRing,
      baseUrl: 'https://unsub.example.com',
      adminToken: 'x'.repeat(32),
    });
    const routes = [...routesOf(router, '/api'), ...routesOf(templates, '/api')];
    expect(routes.length).toBeGreaterThanOrEqual(24);
    // Public operations (`security: []`, e.g. GET /api/events/schemas) are served outside that router.
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => !Array.isArray((operation as { security?: unknown }).security))
        .map(([method]) => `${method} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(documented.sort()).toEqual(routes.sort());
  });

  test('is OpenAPI 3.1 whose every $ref resolves', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.version).toBe('9.9.9');
    expect(document.servers).toEqual([{ url: 'https://unsub.example.com' }]);
    const names = new Set(Object.keys(document.components.schemas));
    const refs = refsIn(document);
    expect(refs.length).toBeGreaterThan(50);
    for (const ref of refs) expect(names.has(ref.replace('#/components/schemas/', '')), ref).toBe(true);
    expect(JSON.stringify(document)).not.toContain('$defs');
    for (const type of eventTypes)
      expect(refs).toContain(
        componentRef(type.replace(/(^|\s)(\w)/g, (_m, _s, c: string) => c.toUpperCase()) + 'Event'),
      );
  });

  test('request bodies are generated from the schemas the routes validate with', () => {
    const createGroup = z.toJSONSchema(createGroupSchema.strict(), { io: 'input' }) as JsonSchema;
    const component = document.components.schemas.NewGroup as JsonSchema;
    // The same schema, except that the shared channel enum and names map are references to components.
    const shared = { channel: 'CHANNEL', names: 'NAMES' };
    expect({ ...component, properties: { ...(component.properties as object), ...shared } }).toEqual({
      ...Object.fromEntries(Object.entries(createGroup).filter(([key]) => key !== '$schema')),
      properties: { ...(createGroup.properties as object), ...shared },
    });
    expect((component.properties as Record<string, unknown>).names).toEqual({
      $ref: componentRef('GroupNames'),
    });
    expect((component.properties as Record<string, unknown>).channel).toEqual({
      $ref: componentRef('Channel'),
    });
    const post = document.paths['/api/groups']?.post;
    expect(post?.requestBody?.content['application/json']?.schema).toEqual({
      $ref: componentRef('NewGroup'),
    });
    expect(post?.responses['201']?.content?.['application/json']?.schema).toEqual({
      $ref: componentRef('Group'),
    });
    expect(post?.responses['401']).toBeDefined();
    const list = document.paths['/api/deliveries']?.get;
    expect(list?.parameters.map((parameter) => parameter.name)).toEqual([
      'event',
      'endpoint',
      'status',
      'before',
      'limit',
    ]);
    const batch = document.paths['/api/templates/{id}/render']?.post;
    expect(batch?.requestBody?.content).toEqual({
      'application/x-ndjson': { schema: { $ref: componentRef('RenderRecipient') } },
    });
    expect(Object.keys(batch?.responses['200']?.content ?? {})).toEqual(['application/x-ndjson']);
    const single = document.paths['/api/render']?.post;
    expect(Object.keys(single?.responses['200']?.content ?? {})).toEqual([
      'application/json',
      'message/rfc822',
    ]);
    const sample = document.components.schemas.ComplaintEvent as JsonSchema;
    expect(Object.keys(sample.properties as object)).toEqual(Object.keys(eventSamples.complaint));
    expect(sample.additionalProperties).toBe(false);
  });

  test('/api/openapi.json and /api/docs are public, the rest of /api is not', async (context) => {
    const { baseUrl } = await startConsole(context);
    const json = await fetch(`${baseUrl}/api/openapi.json`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    const served = (await json.json()) as typeof document;
    expect(served.openapi).toBe('3.1.0');
    expect(Object.keys(served.paths)).toEqual(Object.keys(document.paths));
    const docs = await fetch(`${baseUrl}/api/docs`);
    expect(docs.status).toBe(200);
    const html = await docs.text();
    expect(html).toContain('<code>/api/webhooks/test</code>');
    expect(html).toContain('href="#schema-WebhookTestResult"');
    expect(html).toContain('id="schema-MailingGroupUnsubscribeEvent"');
    expect(html).not.toMatch(/<script|https:\/\/cdn/);
    expect((await fetch(`${baseUrl}/api/groups`)).status).toBe(401);
  });
});
