/**
 * @module The API's OpenAPI 3.1 document, generated from the zod schemas the routes validate with,
 * and its public routes (`/api/openapi.json`, `/api/docs`).
 */
export { openApiRouter, type OpenApiRouterOptions } from './openApiRouter.js';
export {
  buildOpenApiDocument,
  operationId,
  componentRef,
  type OpenApiDocument,
  type OpenApiOperation,
  type OpenApiParameter,
  type OpenApiOptions,
  type JsonSchema,
} from './buildOpenApiDocument.js';
export {
  apiOperations,
  apiSchemas,
  type ApiOperation,
  type ApiResponse,
  type ApiMethod,
} from './apiOperations.js';
