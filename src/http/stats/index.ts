/**
 * @module The dashboard's statistics routes (`/api/stats/…`) and their schemas.
 */
export { statsRoutes } from './statsRoutes.js';
export {
  unsubscribeStatsQuerySchema,
  deliveryStatsQuerySchema,
  latencyStatsQuerySchema,
  unsubscribeStatsSchema,
  deliveryStatsSchema,
  latencyStatsSchema,
  backlogStatsSchema,
  endpointStatsSchema,
} from './statsSchemas.js';
