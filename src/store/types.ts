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
}

/** The fields of a new group (validated by the caller; the store enforces uniqueness). */
export interface NewGroup {
  name: string;
  systemName: string;
  description?: string;
  channel: Channel;
}

/** Subscribed or unsubscribed. */
export type MembershipState = 'subscribed' | 'unsubscribed';

/** A contact's membership in one group, with the group itself. */
export interface Membership {
  group: Group;
  state: MembershipState;
  changedAt: number;
  source: string;
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
}

/** One row of a batch import (groups already resolved to ids by the caller). */
export interface ImportContactRow extends NewContact {
  groupIds: number[];
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
  /** Deletes a contact and its memberships; false when there was none. Outbox events stay. */
  deleteContact(id: number): Promise<boolean>;
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
  /** Appends events that have no state change of their own (e.g. message events from the API). */
  appendEvents(events: NewOutboxEvent[], at: number): Promise<OutboxEvent[]>;
  /** Events in id order after `afterId`; only undispatched ones with `pending: true`. */
  listOutbox(options?: { afterId?: number; limit?: number; pending?: boolean }): Promise<OutboxEvent[]>;
  /** Marks events as fanned out; returns how many were still pending. */
  markDispatched(ids: readonly number[], at: number): Promise<number>;
}

/** Settings: key → JSON value. */
export interface SettingsStore {
  getSetting(key: string): Promise<JsonValue | undefined>;
  setSetting(key: string, value: JsonValue, at: number): Promise<void>;
  /** Every setting whose key starts with `prefix` (all when omitted), by key. */
  listSettings(prefix?: string): Promise<Record<string, JsonValue>>;
  deleteSetting(key: string): Promise<boolean>;
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
  /** True when several processes can share the database and claim work concurrently. */
  multiProcess: boolean;
  /** Largest number of bound parameters in one statement (SQLite's default limit is 32766). */
  maxParameters: number;
}

/** The store: every verb group plus lifecycle. */
export interface Store extends ContactsStore, GroupsStore, MembershipsStore, OutboxStore, SettingsStore {
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
}
