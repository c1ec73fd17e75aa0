/**
 * @module The audit log of admin changes: one middleware on the admin API and console routers
 * records every change (method, route pattern, status, source address, console session) after
 * its response, so new routes are covered without doing anything.
 */
export { createAuditRecorder, auditSessionId, type AuditRecorderOptions } from './createAuditRecorder.js';
