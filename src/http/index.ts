/**
 * @module The http part: the Express app (`createApp`) with the public unsubscribe pages and the
 * mount point of the admin API; the error → status/page/JSON mapping; the page branding schema that
 * the admin API and the settings UI reuse. Other parts import only this entry.
 */
export { createApp, basePathOf, type AppOptions } from './createApp.js';
export { createAppServer } from './createAppServer.js';
export {
  HttpError,
  toHttpProblem,
  sendApiProblem,
  createErrorHandler,
  notFoundHandler,
  methodNotAllowed,
  isApiRequest,
  errorPageTitle,
  type ErrorSurface,
  type HttpErrorOptions,
  type HttpProblem,
  type ErrorHandlerOptions,
} from './errors.js';
export {
  pageBrandingSchema,
  readBranding,
  brandingSettingKey,
  subscriberTags,
  type PageBranding,
} from './pageBranding.js';
export { renderSenderText, subscriberContext } from './renderSenderText.js';
export { maskEmail, maskPhone, maskAddress } from './maskAddress.js';
export { parseFormBody, parseMultipart, isOneClick, type FormFields } from './parseFormBody.js';
export { contentSecurityPolicy } from './securityHeaders.js';
export {
  createRequestLog,
  noteContactId,
  routePatternOf,
  requestIdOf,
  type RequestLogOptions,
} from './requestLog/index.js';
export {
  createFailureThrottle,
  type FailureThrottle,
  type FailureThrottleOptions,
} from './throttle/index.js';
export { createAuditRecorder, auditSessionId, type AuditRecorderOptions } from './audit/index.js';
