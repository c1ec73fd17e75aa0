/**
 * @module The `Store` interface: the domain verbs every backend (SQLite, PostgreSQL) implements.
 *
 * Terminology, defined once:
 * - **contact** — one recipient: an e-mail address (unique, compared case-insensitively), an optional
 *   phone, first/last name and free-form *extra fields* (`{{extraField.NAME}}` on pages).
 * - **group** — a mailing group: display name (what recipients and the seed's `group_name` see), a
 *   Latin *system name* (unique, case-insensitive; what imports and templates refer to), a description
 *   and one channel, `email` or `sms`.
 * - **membership** — a contact's state in one group: `subscribed` or `unsubscribed`, when it last
 *   changed and by what *source* (`link`, `one-click`, `manager`, `api`, `import`, …). A contact that
 *   was never in a group has no membership row at all.
 * - **outbox event** — one mailing event (a seed body such as `mailing group unsubscribe`) stored as
 *   the exact JSON text that will be POSTed, appended in the same transaction as the state change
 *   that caused it. The webhook dispatcher fans it out to endpoints and sets `dispatchedAt`.
 * - **setting** — a key → JSON value pair (page branding, sender options, …).
 *
 * Times are milliseconds since the epoch, always passed in by the caller (`at`), so clocks stay
 * injectable. Ids are positive integers (JavaScript numbers on both backends).
 *
 * The interface is split into verb groups (`ContactsStore`, `GroupsStore`, …) composed into `Store`;
 * a later part adds its own group (e.g. `WebhooksStore`) the same way.
 */
import type { OperationsStore } from './operationsTypes.js';

export type * from './operationsTypes.js';

import type { TemplatesStore } from './templatesTypes.js';
import type { LinkUnsubscribesStore } from './linkUnsubscribesTypes.js';

import type { ErasureStore, RetentionStore } from './retentionTypes.js';
import type { OutboxSignalStore } from './outboxSignalTypes.js';

/** The channel a group serves. Structurally the same as `links`' `Channel`. */
export type Channel = 'email' | 'sms';

/** Every channel, in a stable order (for validation and listings). */
export const channels: readonly Channel[] = ['email', 'sms'];

/** A JSON value as stored in extra fields and settings. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object (extra fields of a contact). */
export type JsonObject = { [key: string]: JsonValue };

/** One contact (recipient). */
export interface Contact {
  id: number;
  /** As entered (case preserved); uniqueness is case-insensitive. */
  email: string;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  /** Free-form extra fields, e.g. `{ city: 'Riga' }`. */
  extra: JsonObject;
  createdAt: number;
  updatedAt: number;
}

/** The fields of a new contact. */
export interface NewContact {
  email: string;
  phone?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  extra?: JsonObject;
}

/** A partial update of a contact: fields present replace the stored ones (`extra` as a whole). */
export interface ContactPatch {
  email?: string;
  phone?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  extra?: JsonObject;
}

/** One mailing group. */
export interface Group {
  id: number;
  /** Display name, shown to recipients and sent as the seed's `group_name`. */
  name: string;
  /** Latin system name (`/^[A-Za-z0-9_.-]+$/`), unique case-insensitively. */
  systemName: string;
  description: string;
  channel: Channel;
  createdAt: number;
  /** Display names per locale (`{ ru: 'Новости' }`) shown on the pages; events keep `name`. */
  names?: Record<string, string>;
}

/** The fields of a new group (validated by the caller; the store enforces uniqueness). */
export interface NewGroup {
  name: string;
  systemName: string;
  description?: string;
  channel: Channel;
  /** Display names per locale. */
  names?: Record<string, string>;
}

/** Subscribed or unsubscribed. */
export type MembershipState = 'subscribed' | 'unsubscribed';

/** A contact's membership in one group, with the group itself. */
export interface Membership {
  group: Group;
  state: MembershipState;
  changedAt: number;
  source: string;
  /** Why the contact left, when it said so on the done page (only on unsubscribed memberships). */
  reason?: UnsubscribeReason;
}

/** A contact's answer to "why?" on the done page. */
export interface UnsubscribeReason {
  code: 'too_many' | 'not_relevant' | 'never_signed_up' | 'other';
  /** Free text, only with `other` (at most 500 characters). */
  text?: string;
}

/** One membership that a store verb actually changed (repeats change nothing and are not listed). */
export interface MembershipChange {
  group: Group;
  /** The new state. */
  state: MembershipState;
}

/** An event to append to the outbox: its type and the exact JSON text to POST. */
export interface NewOutboxEvent {
  /** The seed's event name, e.g. `mailing group unsubscribe` (equals `JSON.parse(body).event`). */
  type: string;
  /** The body exactly as it will be sent. */
  body: string;
  /**
   * The contact whose subscriptions the event changes (`mailing group subscribe`/`unsubscribe`,
   * `contact adding`): its deliveries to one endpoint go out one after the other in outbox order
   * (see `claimDeliveries`). Absent or null: never held (message and WhatsApp events).
   */
  orderingKey?: number | null;
}

/** An event in the outbox. */
export interface OutboxEvent extends NewOutboxEvent {
  /** Increasing with append order (gaps possible on PostgreSQL after rollbacks). */
  id: number;
  createdAt: number;
  /** When the dispatcher fanned it out to endpoints; null while pending. */
  dispatchedAt: number | null;
}

/**
 * Builds the outbox events for a fact a store verb established inside its transaction. Must be
 * pure and synchronous: it runs inside the transaction, and throwing rolls the whole change back.
 */
export type BuildEvents<Fact> = (fact: Fact) => NewOutboxEvent[];

/** What `createContact` established: the new contact and the groups it was subscribed to. */
export interface ContactCreated {
  contact: Contact;
  groups: Group[];
}

/** What `changeMemberships` (or an import) established: only the memberships that really changed. */
export interface MembershipsChanged {
  contact: Contact;
  changed: MembershipChange[];
}

/** The result of a verb that changed state and appended events in one transaction. */
export interface Committed<T> {
  value: T;
  /** The events appended in that same transaction, in order (empty when nothing changed). */
  events: OutboxEvent[];
}

/** Input of `createContact`. */
export interface CreateContactInput extends NewContact {
  /** Groups to subscribe the new contact to (each must exist). */
  groupIds?: number[];
  /**
   * Groups the contact starts unsubscribed from (the suppression list's): recorded as
   * `unsubscribed` (source `suppression`) and never joined, even when in `groupIds`. Ids of groups
   * that no longer exist are skipped.
   */
  startUnsubscribed?: number[];
  source: string;
  at: number;
}

/** Input of `changeMemberships`. A group in `subscribe` is never unsubscribed by the same call. */
export interface ChangeMembershipsInput {
  contactId: number;
  /** When set, every listed group must serve this channel; required for `unsubscribe: 'all'`. */
  channel?: Channel;
  /** Groups to be subscribed to (joined or re-joined). */
  subscribe?: number[];
  /**
   * Groups to leave, or `'all'`: every group of `channel` the contact is subscribed to (minus
   * `subscribe`). Groups the contact is not subscribed to are skipped silently (idempotent).
   */
  unsubscribe?: number[] | 'all';
  source: string;
  at: number;
  /**
   * The link this unsubscribe came through (a short hash of its token), stored on the rows it
   * leaves so that the same link can undo exactly them (`LinkUnsubscribesStore`).
   */
  unsubscribeRef?: string;
}

/** One row of a batch import (groups already resolved to ids by the caller). */
export interface ImportContactRow extends NewContact {
  groupIds: number[];
  /** As `CreateContactInput.startUnsubscribed` (kept for an existing contact: never overrides a membership). */
  startUnsubscribed?: number[];
}

/** Options of `importContacts`. */
export interface ImportContactsOptions {
  source: string;
  at: number;
  /** Events for a newly created contact. */
  onCreated: BuildEvents<ContactCreated>;
  /** Events for an existing contact that joined groups. */
  onChanged: BuildEvents<MembershipsChanged>;
  /** Called after each row (inside the transaction) for progress bars. */
  onProgress?: (done: number, total: number) => void;
}

/** Counts of a finished import. */
export interface ImportContactsResult {
  created: number;
  updated: number;
}

/** Contacts: one row per recipient. */
export interface ContactsStore {
  /** One contact by id, or undefined when there is none. */
  getContact(id: number): Promise<Contact | undefined>;
  /** Case-insensitive lookup. */
  findContactByEmail(email: string): Promise<Contact | undefined>;
  /** Contacts by id, `limit` at a time after `afterId` (keyset pagination). */
  listContacts(options?: { afterId?: number; limit?: number }): Promise<Contact[]>;
  /**
   * Creates a contact, subscribes it to `groupIds` and appends `buildEvents(...)` in ONE transaction.
   * @throws StoreError `email_taken` (field `email`), `group_not_found` (field `groupIds`).
   */
  createContact(
    input: CreateContactInput,
    buildEvents: BuildEvents<ContactCreated>,
  ): Promise<Committed<Contact>>;
  /**
   * Updates the given fields. @throws StoreError `contact_not_found`, `email_taken`.
   */
  updateContact(id: number, patch: ContactPatch, at: number): Promise<Contact>;
  /**
   * Creates or merges many contacts in ONE transaction (all or nothing). Existing e-mails (matched
   * case-insensitively) are merged: given phone/names overwrite, extra fields are merged key by key,
   * and groups are joined only where the contact has no membership yet — an earlier unsubscribe
   * is never overridden by an import.
   */
  importContacts(
    rows: ImportContactRow[],
    options: ImportContactsOptions,
  ): Promise<Committed<ImportContactsResult>>;
}

/** Groups: mailing groups of one channel each. */
export interface GroupsStore {
  /** @throws StoreError `system_name_taken` (field `systemName`). */
  createGroup(input: NewGroup, at: number): Promise<Group>;
  /** One group by id, or undefined when there is none. */
  getGroup(id: number): Promise<Group | undefined>;
  /** The groups among `ids` that exist, in id order. */
  getGroups(ids: readonly number[]): Promise<Group[]>;
  /** Case-insensitive lookup by system name. */
  findGroupBySystemName(systemName: string): Promise<Group | undefined>;
  /** All groups (of one channel when given), in id order. */
  listGroups(options?: { channel?: Channel }): Promise<Group[]>;
}

/** Memberships: a contact's state per group. */
export interface MembershipsStore {
  /** The contact's memberships (of one channel when given), in group id order. */
  getMemberships(contactId: number, channel?: Channel): Promise<Membership[]>;
  /**
   * Applies subscribe/unsubscribe changes, learns which rows actually changed, and appends
   * `buildEvents({ contact, changed })` in the SAME transaction (nothing changed → no call, no
   * events). The contact row is locked first so concurrent changes for one contact serialise and
   * each real change is reported exactly once.
   * @throws StoreError `contact_not_found`, `group_not_found`, `channel_mismatch`, `invalid_input`.
   */
  changeMemberships(
    input: ChangeMembershipsInput,
    buildEvents: BuildEvents<MembershipsChanged>,
  ): Promise<Committed<MembershipChange[]>>;
}

/** Outbox: events waiting for (or done with) fan-out to webhook endpoints. */
export interface OutboxStore {
  /**
   * Appends events that have no state change of their own (e.g. message events from the API).
   * Events with an `orderingKey` first lock that contact's row (PostgreSQL), as the subscription
   * verbs do, so that per key the outbox id order is the commit order.
   */
  appendEvents(events: NewOutboxEvent[], at: number): Promise<OutboxEvent[]>;
  /** Events in id order after `afterId`; only undispatched ones with `pending: true`. */
  listOutbox(options?: { afterId?: number; limit?: number; pending?: boolean }): Promise<OutboxEvent[]>;
  /** Marks events as fanned out; returns how many were still pending. */
  markDispatched(ids: readonly number[], at: number): Promise<number>;
}

/** Settings: key → JSON value. */
export interface SettingsStore {
  /** The stored value, or undefined when the key was never set (or was deleted). */
  getSetting(key: string): Promise<JsonValue | undefined>;
  /** Stores `value` under `key` (insert or replace), stamped with `at` (ms). */
  setSetting(key: string, value: JsonValue, at: number): Promise<void>;
  /** Every setting whose key starts with `prefix` (all when omitted), by key. */
  listSettings(prefix?: string): Promise<Record<string, JsonValue>>;
  /** Removes a setting; true when there was one. */
  deleteSetting(key: string): Promise<boolean>;
}

/**
 * Webhook terms, defined once:
 * - **endpoint** — where events of one *slot* go: the slot is an event type (`mailing group
 *   unsubscribe`, …) or `null` for the common URL that receives every type without its own endpoint
 *   (per-event wins over common). It has a URL, signing secrets, and may be disabled (410 Gone, five
 *   days of nothing but failures, or by the sender).
 * - **delivery** — one outbox event bound for one endpoint, with a `webhook-id` (`msg_…`) that stays
 *   the same on every retry. At most one delivery per (event, endpoint).
 * - **attempt** — one POST of a delivery: its time, HTTP status or error, duration and the start of
 *   the response (≤ 20 KB).
 * - **lease** — a worker's claim on a delivery (`leaseOwner` until `leaseExpiresAt`): a worker that
 *   dies simply lets the lease expire, and another worker (or the restarted one) claims it again.
 */

/** One signing secret of an endpoint. */
export interface WebhookSecret {
  /** `whsec_…`. */
  secret: string;
  createdAt: number;
  /** When it stops signing (set on the old secret by a rotation: 24 h later); null = current. */
  expiresAt: number | null;
}

/** A webhook endpoint (one slot: an event type, or `null` for the common URL). */
export interface WebhookEndpoint {
  id: number;
  /** The event type this endpoint serves, or null for the common URL (every type without its own). */
  eventType: string | null;
  url: string;
  /**
   * Signing secrets, newest first. `secrets[0]` is the current one (shown by `GET /api/webhooks`);
   * older ones carry `expiresAt` and keep signing beside it until then. Filter with `activeSecrets`.
   */
  secrets: WebhookSecret[];
  /** Set while disabled: deliveries are not attempted (new ones are recorded as `disabled`). */
  disabledAt: number | null;
  /** Why it was disabled, e.g. `gone` (410), `failing` (5 days of failures), `manual`. */
  disabledReason: string | null;
  /** Start of the current run of failed attempts (null after any success): the 5-day rule. */
  firstFailureAt: number | null;
  /** Set once removed from its slot (the row stays so the delivery log can name it). */
  removedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** Input of `putEndpoint`. */
export interface PutEndpointInput {
  /** The slot: an event type, or null for the common URL. */
  eventType: string | null;
  url: string;
  /**
   * The signing secret for a NEW endpoint (a fresh `generateSecret()`); ignored when the slot
   * already has an endpoint, which keeps its secrets (receivers keep verifying).
   */
  secret: string;
  at: number;
}

/** One slot of `saveEndpoints`: a URL to set (as `putEndpoint`), or null to remove the slot. */
export interface EndpointChange {
  eventType: string | null;
  url: string | null;
  /** As in `putEndpoint`: the secret of a NEW endpoint. */
  secret?: string;
  /** A setting to delete in the same transaction (the slot's pending test secret, once used). */
  clearSetting?: string;
}

/** Input of `rotateEndpointSecret`. */
export interface RotateSecretInput {
  /** The new current secret (`generateSecret()`). */
  secret: string;
  at: number;
  /** How long the previous secrets keep signing (default 24 h). */
  overlapMs?: number;
}

/** A recorded test-before-save of a URL. */
export interface EndpointTest {
  url: string;
  ok: boolean;
  /** HTTP status, or null when there was no response. */
  status: number | null;
  durationMs: number;
  at: number;
}

/**
 * Status of a delivery:
 * - `pending` — waiting for its next attempt at `nextAttemptAt`;
 * - `delivering` — claimed by a worker (lease held until `leaseExpiresAt`; after that, if the worker
 *   died, it stays `delivering` until another worker claims it again);
 * - `succeeded` — got a 2xx;
 * - `failed` — out of attempts, or a permanent failure (3xx, 4xx, refused address); replayable;
 * - `disabled` — its endpoint is (or was, when it was fanned out) disabled; replayable.
 */
export type DeliveryStatus = 'pending' | 'delivering' | 'succeeded' | 'failed' | 'disabled';

/** Every delivery status, in a stable order (validation, metrics). */
export const deliveryStatuses: readonly DeliveryStatus[] = [
  'pending',
  'delivering',
  'succeeded',
  'failed',
  'disabled',
];

/** One delivery: an outbox event bound for one endpoint. */
export interface Delivery {
  id: number;
  /** The outbox event delivered. */
  eventId: number;
  /** The event's type (the outbox row's `type`). */
  eventType: string;
  endpointId: number;
  /** The Standard Webhooks `webhook-id`, `msg_…`, identical on every attempt. */
  webhookId: string;
  status: DeliveryStatus;
  /** Attempts made in the current round (the retry schedule position); retry/replay start a new round. */
  attempts: number;
  /**
   * When the next (or, while `delivering`, the current) attempt is due; null once finished or
   * parked. A `delivering` delivery becomes claimable again when `leaseExpiresAt` passes.
   */
  nextAttemptAt: number | null;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  /**
   * The event's ordering key (a contact id), or null: a delivery with a key is not attempted while
   * an earlier event of that key is not fanned out or its delivery to this endpoint is unfinished.
   */
  orderingKey: number | null;
  /** HTTP status of the last attempt, null when it got no response (or none was made). */
  lastStatus: number | null;
  /** Error code of the last attempt without a (complete) response, e.g. `timeout`. */
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** One attempt of a delivery. */
export interface DeliveryAttempt {
  id: number;
  deliveryId: number;
  /** When the POST started. */
  at: number;
  /** HTTP status, null when no response arrived. */
  status: number | null;
  durationMs: number;
  /** Why there was no (complete) response: `code: message`, or null. */
  error: string | null;
  /** The start of the response body, ≤ 20 KB of UTF-8. */
  responseExcerpt: string;
  /** The worker that made it (its lease owner id). */
  worker: string;
}

/** A delivery with its event body and attempt log (oldest attempt first). */
export interface DeliveryDetail extends Delivery {
  body: string;
  attemptLog: DeliveryAttempt[];
}

/** A claimed delivery with everything one attempt needs. */
export interface ClaimedDelivery extends Delivery {
  status: 'delivering';
  /** The event JSON, exactly as it will be POSTed. */
  body: string;
  /** When the event was committed (the outbox row's `createdAt`): the `unsub-event-time` header. */
  eventAt: number;
  /** The endpoint's URL at claim time. */
  url: string;
  /** The endpoint's secrets (filter with `activeSecrets` at send time). */
  secrets: WebhookSecret[];
  /** The endpoint's current failure run start (for the 5-day rule). */
  endpointFirstFailureAt: number | null;
}

/** Input of `claimDeliveries`. */
export interface ClaimDeliveriesInput {
  /** This worker's id; written as `leaseOwner` and checked by `completeAttempts` (fencing). */
  owner: string;
  now: number;
  /** Lease length: longer than one attempt's timeout, so a live worker never loses its lease. */
  leaseMs: number;
  /** Most deliveries to claim in this call. */
  limit: number;
  /**
   * Most deliveries per endpoint this worker may hold at once (default: `limit`). Endpoints share
   * `limit` fairly, so one endpoint's backlog never takes every slot.
   */
  perEndpointLimit?: number;
  /** Deliveries this worker already holds per endpoint id (subtracted from `perEndpointLimit`). */
  inFlight?: ReadonlyMap<number, number>;
}

/** What the dispatcher decided after one attempt. */
export interface CompleteAttemptInput {
  deliveryId: number;
  /** Must still hold the lease, or nothing is written (another worker took the delivery over). */
  owner: string;
  /** The attempt to log. */
  attempt: {
    at: number;
    status: number | null;
    durationMs: number;
    error: string | null;
    responseExcerpt: string;
  };
  /** `succeeded`, `pending` (retry at `nextAttemptAt`) or `failed`. */
  outcome: 'succeeded' | 'pending' | 'failed';
  /** For `pending`: when the next attempt is due. */
  nextAttemptAt?: number | null;
  /** Disable the endpoint too (410 Gone, or the 5-day rule), with this reason. */
  disableEndpoint?: string;
  /** When the result is recorded. */
  at: number;
}

/** Filter of `listDeliveries` (newest first, keyset pagination by id). */
export interface ListDeliveriesFilter {
  eventType?: string;
  eventId?: number;
  endpointId?: number;
  status?: DeliveryStatus;
  /** Only deliveries with an id below this one (the previous page's last id). */
  beforeId?: number;
  /** Page size (default 50, at most 500). */
  limit?: number;
}

/** Input of `replayDeliveries`: every `failed` or `disabled` delivery of an endpoint created in [from, to). */
export interface ReplayDeliveriesInput {
  endpointId: number;
  from: number;
  to: number;
  at: number;
}

/** Counts for metrics and health. */
export interface DeliveryStats {
  /** Without `history`, the final statuses (succeeded, failed, disabled) are 0: not counted. */
  byStatus: Record<DeliveryStatus, number>;
  /** Whether the final statuses were counted (see `deliveryStats`). */
  history: boolean;
  /** Outbox events not yet fanned out to endpoints. */
  undispatchedEvents: number;
  /**
   * Creation time of the oldest unfinished work: a `pending`/`delivering` delivery or an
   * undispatched outbox event; null when there is none.
   */
  oldestPendingAt: number | null;
}

/** What one `fanOutPending` call did. */
export interface FanOutResult {
  /** Outbox events marked dispatched. */
  events: number;
  /** Deliveries created (pending or, for a disabled endpoint, disabled). */
  deliveries: number;
  /**
   * With a `FanOutClaim`: deliveries created unleased because an earlier event of their ordering
   * key is unfinished for that endpoint, or comes earlier in this same call (they are claimed once
   * it is final).
   */
  held?: number;
  /** With a `FanOutClaim`: the deliveries created already leased to that worker. */
  claimed?: ClaimedDelivery[];
}

/**
 * Lease new deliveries to a worker as they are created (`fanOutPending`): the worker that fans
 * an event out sends it at once, without a second transaction to claim it. What does not fit the
 * limits is created as usual (claimable by any worker).
 */
export interface FanOutClaim {
  /** The lease owner (as in `claimDeliveries`). */
  owner: string;
  leaseMs: number;
  /**
   * Most deliveries to lease in this call. Fan-out stops once it is reached, so that later events
   * wait in the outbox rather than as deliveries nobody holds.
   */
  limit: number;
  /** Most deliveries per endpoint the worker may hold (default `limit`). */
  perEndpointLimit?: number;
  /** Deliveries the worker already holds per endpoint id. */
  inFlight?: ReadonlyMap<number, number>;
}

/** Webhooks: endpoints, URL tests, deliveries with leases, attempts. */
export interface WebhooksStore {
  /** Every live endpoint, enabled or not (common first, then by event type). */
  listEndpoints(): Promise<WebhookEndpoint[]>;
  /** By id, removed ones included (see `removedAt`). */
  getEndpoint(id: number): Promise<WebhookEndpoint | undefined>;
  /** The endpoint of exactly this slot (an event type, or null for the common URL). */
  findEndpoint(eventType: string | null): Promise<WebhookEndpoint | undefined>;
  /** Where an event of this type goes: its own endpoint, else the common one (enabled or not). */
  endpointFor(eventType: string): Promise<WebhookEndpoint | undefined>;
  /**
   * Sets the slot's URL: creates the endpoint (with `secret`) or changes its URL, keeping its
   * secrets. Either way it is enabled and its failure run cleared (saving follows a passed test).
   * Pending deliveries go to the new URL.
   */
  putEndpoint(input: PutEndpointInput): Promise<WebhookEndpoint>;
  /**
   * Removes the slot's endpoint; its unfinished deliveries become `disabled`, and the delivery log
   * stays readable. False when the slot was empty.
   */
  removeEndpoint(eventType: string | null, at: number): Promise<boolean>;
  /**
   * Applies several slot changes in ONE transaction (the settings page's Save): every URL set as by
   * `putEndpoint`, every null removed as by `removeEndpoint`, each `clearSetting` deleted; all or
   * nothing. @throws StoreError `invalid_input` naming `changes[i].url` / `.secret`.
   */
  saveEndpoints(changes: readonly EndpointChange[], at: number): Promise<void>;
  /**
   * Makes `secret` the current one; the others keep signing until `at + overlapMs` (secrets
   * already expired are dropped). @throws StoreError `endpoint_not_found` (field `endpointId`).
   */
  rotateEndpointSecret(endpointId: number, input: RotateSecretInput): Promise<WebhookEndpoint>;
  /**
   * Disables an endpoint: its `pending` deliveries become `disabled` (in-flight ones finish).
   * Returns the endpoint, or undefined when there is none. Disabling a disabled one changes nothing.
   */
  disableEndpoint(
    endpointId: number,
    input: { reason: string; at: number },
  ): Promise<WebhookEndpoint | undefined>;
  /** Enables it again (clears the failure run); replay its `disabled` deliveries with `replayDeliveries`. */
  enableEndpoint(endpointId: number, at: number): Promise<WebhookEndpoint | undefined>;

  /** Records a test-before-save of a URL. */
  recordEndpointTest(test: EndpointTest): Promise<void>;
  /** The newest test of exactly this URL (only passed ones with `passed: true`). */
  lastEndpointTest(url: string, options?: { passed?: boolean }): Promise<EndpointTest | undefined>;

  /**
   * Fans out up to `limit` undispatched outbox events (oldest first): one delivery per matching
   * endpoint (`pending`, due at `at`; `disabled` when the endpoint is disabled; none when no
   * endpoint matches), and marks them dispatched — all in ONE transaction. Safe under concurrent
   * callers: each event is fanned out once. With `claim`, deliveries of enabled endpoints are
   * created leased to that worker within its limits (returned as `claimed`), and fan-out stops
   * when `claim.limit` is reached.
   */
  fanOutPending(at: number, limit: number, claim?: FanOutClaim): Promise<FanOutResult>;
  /**
   * Claims due deliveries (`pending` with `nextAttemptAt <= now`, or `delivering` whose lease
   * expired) of enabled endpoints, oldest due first and fairly across endpoints; sets the lease.
   * Concurrent workers never claim the same delivery. A delivery with an ordering key is skipped
   * while an earlier event of its key is not fanned out yet or its delivery to the same endpoint
   * is still `pending`/`delivering` (whoever holds it); `fanOutPending` leases by the same rule.
   */
  claimDeliveries(input: ClaimDeliveriesInput): Promise<ClaimedDelivery[]>;
  /**
   * Records attempts and their outcomes in ONE transaction. Each is applied only while its owner
   * still holds the delivery's lease (fencing: a worker whose lease expired cannot overwrite the
   * work of the worker that took over). Returns, per input, whether it was applied.
   */
  completeAttempts(results: readonly CompleteAttemptInput[]): Promise<boolean[]>;
  /**
   * Gives leases back without an attempt (graceful stop before sending): the deliveries are due
   * again at `at`. Only leases `owner` holds.
   */
  releaseDeliveries(ids: readonly number[], owner: string, at: number): Promise<number>;

  /** Deliveries, newest first. */
  listDeliveries(filter?: ListDeliveriesFilter): Promise<Delivery[]>;
  /** One delivery with its body and attempts. */
  getDelivery(id: number): Promise<DeliveryDetail | undefined>;
  /**
   * Makes a delivery due now in a new round (attempt count 0), whatever its status, except while
   * a worker holds it (`delivering`, returned unchanged). Undefined when there is none.
   */
  retryDelivery(id: number, at: number): Promise<Delivery | undefined>;
  /** Retries every `failed`/`disabled` delivery of the endpoint created in [from, to); returns how many. */
  replayDeliveries(input: ReplayDeliveriesInput): Promise<number>;
  /**
   * Counts of unfinished work (pending, delivering, undispatched, oldest pending) and, unless
   * `history: false`, of finished deliveries by status. `/metrics` asks without history: its cost
   * then depends only on what is pending (index ranges), never on how much history is stored.
   */
  deliveryStats(options?: { history?: boolean }): Promise<DeliveryStats>;
}

/** The secrets that sign at `now`: the current one plus rotated ones not yet expired. */
export function activeSecrets(endpoint: { secrets: readonly WebhookSecret[] }, now: number): string[] {
  return endpoint.secrets
    .filter((secret) => secret.expiresAt === null || secret.expiresAt > now)
    .map((secret) => secret.secret);
}

/** Which backend a store runs on, and what it can do (see `BackendCapabilities`). */
export type BackendName = 'sqlite' | 'postgres';

/**
 * Backend differences as data. Verbs read these flags instead of branching on the backend name.
 */
export interface BackendCapabilities {
  name: BackendName;
  /**
   * Appended to a SELECT to lock the rows it reads until the transaction ends. PostgreSQL needs
   * ` FOR UPDATE` (READ COMMITTED would let two transactions read the same row); SQLite has no
   * row locks and needs none: `BEGIN IMMEDIATE` already holds the one database write lock.
   */
  lockRowsSuffix: string;
  /**
   * Appended to a locking SELECT so that concurrent workers skip rows another worker holds
   * (` FOR UPDATE SKIP LOCKED` on PostgreSQL). Empty on SQLite, where writers are serialised.
   */
  skipLockedSuffix: string;
  /**
   * Put before a column in a WHERE term (`${noIndexPrefix}status = 'pending'`) whose index must not
   * be chosen: SQLite's unary `+`. Without statistics SQLite prefers an index on an equality (the
   * `status` index: every pending row) over a short list of row ids; PostgreSQL, which keeps
   * statistics, needs nothing (and has no unary `+` for text).
   */
  noIndexPrefix: string;
  /** True when several processes can share the database and claim work concurrently. */
  multiProcess: boolean;
  /** Largest number of bound parameters in one statement (SQLite's default limit is 32766). */
  maxParameters: number;
  /**
   * The dispatch verbs' fan-out, claim and completion of plain successes run as one statement each
   * (data-modifying CTEs, window functions over the page, arrays or JSON as parameters), with no
   * transaction around them. PostgreSQL:
   * every statement and BEGIN/COMMIT is a round trip the worker waits for. SQLite: false — it has
   * no data-modifying CTEs, and its statements are function calls in the store's thread.
   */
  singleStatementDispatch: boolean;
}

import type { SmsRepliesStore } from './smsRepliesTypes.js';
export type * from './smsRepliesTypes.js';

/** The store: every verb group plus lifecycle. */
export interface Store
  extends
    ContactsStore,
    GroupsStore,
    MembershipsStore,
    OutboxStore,
    SettingsStore,
    WebhooksStore,
    SmsRepliesStore,
    TemplatesStore,
    LinkUnsubscribesStore,
    OperationsStore,
    RetentionStore,
    ErasureStore,
    OutboxSignalStore {
  readonly capabilities: BackendCapabilities;
  /** Closes connections; the store must not be used afterwards. */
  close(): Promise<void>;
}

/** Options of `openStore`. */
export interface StoreOptions {
  /** `postgres://…` or `postgresql://…` selects PostgreSQL; anything else is ignored. */
  databaseUrl?: string;
  /** SQLite file (default `./data/unsub.db`); its directory is created. */
  sqlitePath?: string;
  /** PostgreSQL schema to use (created when missing); default `public`. */
  schema?: string;
  /** Largest PostgreSQL pool size (default 10). */
  poolSize?: number;
  /**
   * SQLite only: run the webhook dispatcher's verbs (fan-out, claims, attempt records) on their
   * own worker thread and connection (see `openStoreThread`), so that a busy dispatcher's database
   * work runs beside its HTTP work instead of stopping the event loop. Default false; `unsub serve`
   * and `unsub worker` turn it on (`UNSUB_SQLITE_THREAD`). Ignored for `:memory:`.
   */
  thread?: boolean;
}
