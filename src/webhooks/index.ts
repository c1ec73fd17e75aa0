/**
 * @module Webhooks, the store-independent core: Standard Webhooks signing and verification, the
 * retry policy, outcome classification, the SSRF guard, the HTTP sender and test-before-save.
 *
 * Terms: an *endpoint* is a URL (per event type, or common to all) with its signing secret(s); a
 * *delivery* is one event bound for one endpoint, with a `webhook-id` stable across retries; an
 * *attempt* is one POST of a delivery, with its own `webhook-timestamp` and signature.
 */
export {
  signWebhook,
  generateSecret,
  decodeSecret,
  WebhookSecretError,
  type SignWebhookInput,
  type WebhookSignatureHeaders,
} from './signWebhook.js';
export {
  verifyWebhook,
  verifyWebhookDelivery,
  type VerifiedWebhook,
  WebhookVerificationError,
  type WebhookVerificationCode,
  type WebhookHeadersInput,
  type VerifyWebhookOptions,
} from './verifyWebhook.js';
export {
  eventSequenceHeaders,
  parseEventSequence,
  eventSeqHeader,
  eventTimeHeader,
  type EventSequence,
  type EventSequenceHeaders,
} from './eventSequenceHeaders.js';
export { retrySchedule, retryJitter, maxRetryAfterMs, nextAttemptAt } from './nextAttemptAt.js';
export { parseRetryAfter } from './parseRetryAfter.js';
export {
  shouldDisableEndpoint,
  disableAfterMs,
  type EndpointFailureHistory,
} from './shouldDisableEndpoint.js';
export { classifyResponse, type AttemptOutcome, type SendErrorCode } from './classifyResponse.js';
export {
  createAddressPolicy,
  AddressPolicyError,
  type AddressPolicy,
  type AddressPolicyOptions,
  type AddressVerdict,
} from './createAddressPolicy.js';
export { resolveVetted, type HostLookup, type VettedTarget, type RefusedTarget } from './resolveVetted.js';
export {
  createWebhookSender,
  type WebhookSender,
  type WebhookSenderOptions,
  type SendRequest,
  type SendResult,
} from './createWebhookSender.js';
export { utf8Excerpt, responseExcerptBytes } from './utf8Excerpt.js';
export {
  testWebhookUrl,
  type TestWebhookUrlInput,
  type WebhookTestResult,
  type WebhookTestAttempt,
} from './testWebhookUrl.js';
export {
  createWebhookSettings,
  WebhookSettingsError,
  webhookSettingsErrorStatus,
  normalizeWebhookUrl,
  parseSlot,
  pendingSecretKey,
  type WebhookSettings,
  type WebhookSettingsOptions,
  type WebhookSettingsView,
  type WebhookSettingsPatch,
  type WebhookEndpointSettings,
  type WebhookUrlTestInput,
  type WebhookSlotName,
  type WebhookSettingsErrorCode,
} from './webhookSettings.js';
export {
  createDispatcher,
  type Dispatcher,
  type DispatcherOptions,
  type DispatcherLogger,
  type DispatchRound,
} from './createDispatcher.js';
export { createDispatcherMetrics, type DispatcherMetrics } from './createDispatcherMetrics.js';
export {
  decideAttempt,
  type AttemptDecision,
  type AttemptResultLabel,
  type DecideAttemptInput,
} from './decideAttempt.js';
export {
  createCompletionBatcher,
  type CompletionBatcher,
  type CompletionBatcherOptions,
} from './createCompletionBatcher.js';
export { dispatcherOptionsFromConfig } from './dispatcherOptionsFromConfig.js';
export { createPruner, type Pruner, type PrunerOptions, type PruneTotals } from './createPruner.js';
export { registerErasureMetrics } from './erasureMetrics.js';
export { registerMaintenanceMetrics } from './maintenanceMetrics.js';
export { readRetentionDays, retentionSettingKey, retentionDaysBounds } from './retentionSetting.js';
