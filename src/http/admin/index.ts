/**
 * @module The admin API (mounted at `/api`): groups, contacts with their memberships, subscription
 * changes and page branding, behind a bearer token. The http part's entry re-exports what the rest
 * of the program needs (`unsub serve` mounts the router and checks a stored token hash).
 */
export { createAdminRouter, adminBodyLimit, type AdminRouterOptions } from './createAdminRouter.js';
export {
  adminTokenVerifier,
  hashAdminToken,
  bearerToken,
  requireAdminToken,
  type AdminTokenVerifier,
} from './adminTokenVerifier.js';
export type { GroupJson, ContactJson, MembershipJson } from './adminJson.js';
