/**
 * @module The public library API of unsub: compile/render templates, the link key ring, the store,
 * the HTTP app, the dispatcher, the event catalog and `verifyWebhook` for receivers.
 */
export { UnsubError, isUnsubError } from './errors/index.js';
export { loadConfig, ConfigError, type Config } from './config/index.js';
export { version } from './version.js';
export { openStore, StoreError, type Store, type StoreOptions } from './store/index.js';
export {
  compile,
  render,
  parseGroupCatalog,
  TemplateError,
  type CompileOptions,
  type CompileResult,
  type CompiledTemplate,
  type GroupCatalog,
  type GroupInfo,
  type Recipient,
  type RenderOptions,
  type RenderResult,
  type RenderedLink,
  type TagError,
  type TagErrorCode,
  type TemplateErrorCode,
} from './template/index.js';
export { parseTemplate, type ParseResult, type TemplateAst, type TagNode } from '../grammar/index.js';
export { createSubscriptions, SubscriptionError, type Subscriptions } from './subscriptions/index.js';
export {
  KeyRing,
  LinkClaimsError,
  LinkKeyError,
  linkUrl,
  listUnsubscribeHeaders,
  type Channel,
  type KeyAlg,
  type KeyInfo,
  type KeyStatus,
  type LinkAction,
  type LinkClaims,
  type LinkInvalidReason,
  type LinkVerification,
} from './links/index.js';
export {
  eventTypes,
  sendingTypes,
  eventSchemas,
  eventSamples,
  parseEvent,
  parseEvents,
  normalizeEventName,
  isEventType,
  createEventBus,
  EventBusError,
  type EventType,
  type EventOf,
  type MailingEvent,
  type SendingType,
  type EventBus,
  type EventHandler,
  type EventIssue,
  type EventBatchIssue,
  type MessageSentEvent,
  type DeliveryBounceEvent,
  type MessageOpenEvent,
  type MessageClickedEvent,
  type ComplaintEvent,
  type WhatsappTemplateSentEvent,
  type WhatsappTemplateDeliveredEvent,
  type WhatsappTemplateReadEvent,
  type WhatsappInboxMessageReceivedEvent,
  type WhatsappTemplateBounceEvent,
  type MailingGroupSubscribeEvent,
  type MailingGroupUnsubscribeEvent,
  type ContactAddingEvent,
} from './events/index.js';
export {
  verifyWebhook,
  WebhookVerificationError,
  signWebhook,
  generateSecret,
  type WebhookVerificationCode,
  type WebhookHeadersInput,
  type VerifyWebhookOptions,
} from './webhooks/index.js';
// Ordered delivery (issue 17): the verified delivery with its unsigned sequence headers parsed.
export { verifyWebhookDelivery, type VerifiedWebhook, type EventSequence } from './webhooks/index.js';
export {
  createApp,
  createAppServer,
  HttpError,
  pageBrandingSchema,
  readBranding,
  type AppOptions,
  type PageBranding,
} from './http/index.js';
export {
  createAdminRouter,
  adminTokenVerifier,
  hashAdminToken,
  type AdminRouterOptions,
  type AdminTokenVerifier,
} from './http/admin/index.js';
export {
  startServer,
  type StartServerOptions,
  type RunningServer,
  type ServerContext,
} from './server/index.js';
export {
  createDispatcher,
  createDispatcherMetrics,
  type Dispatcher,
  type DispatcherOptions,
  type DispatcherMetrics,
} from './webhooks/index.js';
export {
  createWebhookSettings,
  WebhookSettingsError,
  type WebhookSettings,
  type WebhookSettingsOptions,
  type WebhookSettingsView,
  type WebhookSettingsPatch,
  type WebhookEndpointSettings,
} from './webhooks/index.js';
export {
  webhooksApiRoutes,
  metricsRoutes,
  type WebhooksApiOptions,
  type MetricsRoutesOptions,
} from './http/webhooksApi/index.js';
export { createConsoleRouter, type ConsoleRouterOptions } from './http/console/index.js';
export { buildOpenApiDocument, openApiRouter, type OpenApiDocument } from './http/openapi/index.js';
// SMS (issue 16): compact links and SMS length.
export { compactLinkUrl, maxCompactGroups } from './links/index.js';
export { measureSms, type LinkForm, type SmsLength } from './template/index.js';
// Operations (issue 13): logs, request log, throttling, audit, stats, published event schemas.
export { createLogger, serverLogFrom, type Logger, type ServerLog } from './logging/index.js';
export {
  createRequestLog,
  createFailureThrottle,
  createAuditRecorder,
  type RequestLogOptions,
  type FailureThrottleOptions,
  type AuditRecorderOptions,
} from './http/index.js';
export { statsRoutes } from './http/stats/index.js';
export { eventJsonSchemaDocument, eventJsonSchema, eventSchemaName } from './events/index.js';
