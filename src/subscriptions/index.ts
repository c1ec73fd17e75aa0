/**
 * @module The subscriptions part: contacts, groups and memberships, and the commands that change
 * them together with their events in one store transaction. Other parts import only this entry.
 */
export {
  createSubscriptions,
  type Subscriptions,
  type SubscriptionsOptions,
  type EventSink,
  type EmittedEvent,
  type UnsubscribeInput,
  type SubscribeInput,
  type SetSubscriptionsInput,
  type CreateContactCommand,
  type UpdateContactCommand,
  type CreateGroupCommand,
  type ImportContactsCommand,
  type ImportContactsOutcome,
  type InboundSms,
  type SmsReplyResult,
  type UndoInput,
  type UndoOutcome,
  undoWindowDays,
  type CreatedContact,
} from './createSubscriptions.js';
export type { ErasureReport, SuppressionNotice } from './createErasure.js';
export { normalizeAddress, suppressionSecretKey } from './suppressionKeys.js';
export {
  inboundSmsSchema,
  phoneSpellings,
  smsCommandOf,
  smsStartWords,
  smsStopWords,
} from './smsReplyCommand.js';
export {
  importFormatOf,
  parseContactFile,
  type ImportFormat,
  type ImportProblem,
} from './parseContactFile.js';
export { validateContactRecords } from './validateContactRecords.js';
export { SubscriptionError, type SubscriptionErrorCode } from './subscriptionError.js';
export { membershipEvents, contactAddingEvents } from './buildEvents.js';
export {
  parseInput,
  systemNamePattern,
  emailSchema,
  phoneSchema,
  extraSchema,
  channelSchema,
  idSchema,
  groupIdsSchema,
  sourceSchema,
  createContactSchema,
  contactPatchSchema,
  createGroupSchema,
  unsubscribeSchema,
  subscribeSchema,
  setSubscriptionsSchema,
  unsubscribeReasonSchema,
  groupNamesSchema,
  unsubscribeReasonCodes,
  maxReasonLength,
} from './inputSchemas.js';
