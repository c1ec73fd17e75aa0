/**
 * @module The public API documentation routes: `GET /api/openapi.json` (the generated OpenAPI 3.1
 * document), `GET /api/events/schemas` (the JSON Schema of every webhook event) and `GET /api/docs`
 * (the page rendering the document). Both are built once, when the router is.
 */
import { Router } from 'express';
import { eventJsonSchemaDocument } from '../../events/index.js';
import { version } from '../../version.js';
import { buildOpenApiDocument } from './buildOpenApiDocument.js';
import { createApiDocsRenderer } from './renderApiDocs.js';

/** Options of {@link openApiRouter}. */
export interface OpenApiRouterOptions {
  /** The stylesheet of the docs page (the console's). */
  stylesheetHref: string;
  /** Listed as the document's server (UNSUB_BASE_URL). */
  serverUrl?: string;
}

/** The documentation routes; mount at `/` before the admin API's bearer check on `/api`. */
export function openApiRouter(options: OpenApiRouterOptions): Router {
  const document = buildOpenApiDocument({
    version,
    ...(options.serverUrl ? { serverUrl: options.serverUrl } : {}),
  });
  const json = JSON.stringify(document, null, 2);
  const page = createApiDocsRenderer()(document, options.stylesheetHref);
  const router = Router();
  router.get('/api/openapi.json', (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.type('application/json').send(json);
  });
  const eventSchemas = JSON.stringify(eventJsonSchemaDocument(), null, 2);
  router.get('/api/events/schemas', (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.type('application/schema+json').send(eventSchemas);
  });
  router.get('/api/docs', (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(page);
  });
  return router;
}
