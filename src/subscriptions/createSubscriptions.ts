/**
 * @module The subscription commands: validate input, change contacts/groups/memberships AND append
 * the resulting events to the outbox in one store transaction, then — only after the commit —
 * hand the events to the optional in-process bus.
 */
import { z } from 'zod';
import type { Channel, Committed, Contact, Group, SmsCommand, Store } from '../store/index.js';
import { contactAddingEvents, membershipEvents } from './buildEvents.js';
import { createErasure, type ErasureReport, type SuppressionNotice } from './createErasure.js';
import { createSuppressionKeys } from './suppressionKeys.js';
import {
  contactPatchSchema,
  createContactSchema,
  createGroupSchema,
  groupNamesSchema,
  idSchema,
  parseInput,
  setSubscriptionsSchema,
  subscribeSchema,
  unsubscribeReasonSchema,
  unsubscribeSchema,
} from './inputSchemas.js';
import { SubscriptionError, fromStoreError } from './subscriptionError.js';
import { parseContactFile, type ImportFormat, type ImportProblem } from './parseContactFile.js';
import { validateContactRecords } from './validateContactRecords.js';
import { inboundSmsSchema, phoneSpellings, smsCommandOf } from './smsReplyCommand.js';

/** An event body as emitted on the bus (structurally compatible with the events part's bus). */
export type EmittedEvent = { event: string } & Record<string, unknown>;

/** Where committed events are announced in-process (e.g. to wake the dispatcher). */
export interface EventSink {
  emit(event: EmittedEvent): void;
}

/** Options of `createSubscriptions`. */
export interface SubscriptionsOptions {
  store: Store;
  /** Receives every committed event, after its transaction commits. */
  bus?: EventSink;
  /** The clock (ms since the epoch); default `Date.now`. */
  now?: () => number;
  /** Told when a bus handler throws; the command still succeeds (the event is safe in the outbox). */
  onError?: (error: unknown, event: EmittedEvent) => void;
  /**
   * Told after a commit that left groups (`count` > 0): the `unsub_unsubscribes_total` metric.
   * Repeats, which change nothing, are not reported.
   */
  onUnsubscribed?: (change: { channel: Channel; source: string; count: number }) => void;
  /** Random bytes for the suppression list's installation secret (default node:crypto). */
  randomBytes?: (size: number) => Buffer;
}

/** Input of `unsubscribe`. */
export interface UnsubscribeInput {
  contactId: number;
  channel: Channel;
  /** The groups to leave, or `'all'`: every group of `channel` the contact is subscribed to. */
  groupIds: number[] | 'all';
  /** Where the request came from: `link`, `one-click`, `manager`, `api`, … */
  source: string;
  /** The link unsubscribing (a short hash of its token): that link may undo exactly this. */
  unsubscribeRef?: string;
}

/** How long an unsubscribe through a link can be undone through the same link. */
export const undoWindowDays = 30;

/** Input of `undoLinkUnsubscribe`. */
export interface UndoInput {
  contactId: number;
  unsubscribeRef: string;
  /** Default `undo`. */
  source?: string;
}

/**
 * What an undo did: re-subscribed the groups the link had left; or nothing, because the link left
 * none that are still unsubscribed (`nothing`) or its unsubscribe is older than the window (`expired`).
 */
export type UndoOutcome =
  { status: 'undone'; groups: Group[] } | { status: 'nothing' } | { status: 'expired'; days: number };

/** Input of `subscribe`. */
export interface SubscribeInput {
  contactId: number;
  channel: Channel;
  groupIds: number[];
  source: string;
}

/** Input of `setSubscriptions`: the manager's ticked set for one channel. */
export interface SetSubscriptionsInput {
  contactId: number;
  channel: Channel;
  /** Ticked groups; every other group of `channel` the contact belongs to is left. */
  subscribedGroupIds: number[];
  source: string;
  /**
   * Also join ticked groups the contact never belonged to (the admin API's `PUT …/groups`, whose
   * body is the whole wanted set). Default false: the manager page only shows the contact's own
   * groups, so a foreign id there means a tampered form and is refused.
   */
  allowJoin?: boolean;
}

/** Input of `createContact`. */
export interface CreateContactCommand {
  email: string;
  phone?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  extra?: Record<string, unknown>;
  groupIds?: number[];
  /** Default `api`. */
  source?: string;
}

/** Input of `updateContact`: present fields replace stored ones (`extra` as a whole). */
export interface UpdateContactCommand {
  email?: string;
  phone?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  extra?: Record<string, unknown>;
}

/** Input of `createGroup`. */
export interface CreateGroupCommand {
  name: string;
  systemName: string;
  description?: string;
  channel: Channel;
  /** Display names per locale shown on the pages. */
  names?: Record<string, string>;
}

/** Input of `importContacts`. */
export interface ImportContactsCommand {
  /** The file's text. */
  text: string;
  format: ImportFormat;
  /** Default `import`. */
  source?: string;
  /** Called after each row is written (inside the transaction), for progress bars. */
  onProgress?: (done: number, total: number) => void;
}

/** The outcome of an import: counts, or every problem found (and nothing imported). */
export type ImportContactsOutcome =
  | {
      ok: true;
      created: number;
      updated: number;
      /** Rows whose address is on the suppression list: they start unsubscribed from those groups. */
      suppressed: { email: string; suppressed: SuppressionNotice[] }[];
    }
  | { ok: false; problems: ImportProblem[] };

/** A created contact, with what the suppression list made it start unsubscribed from (usually nothing). */
export type CreatedContact = Contact & { suppressed: SuppressionNotice[] };

/** Input of `replyToSms`: an inbound SMS as a messaging gateway forwards it. */
export interface InboundSms {
  /** The sender's phone (normalised with the phone rules). */
  from: string;
  /** The number it was sent to. */
  to?: string | null;
  text: string;
  /** ISO 8601 or ms since the epoch; default now. */
  receivedAt?: string | number;
}

/** What a reply did: nothing (unknown phone) or the command for each contact with that phone. */
export type SmsReplyResult =
  | { matched: false }
  | {
      matched: true;
      command: SmsCommand;
      /** `ru` when the reply has Cyrillic letters, else `en`: the locale of the confirmation. */
      locale: 'en' | 'ru';
      contacts: { id: number; left: Group[]; joined: Group[] }[];
    };

/** The commands. Every method validates its input and throws `SubscriptionError` for bad input. */
export interface Subscriptions {
  /** Leaves groups; returns the groups actually left (empty on a repeat, which emits nothing). */
  unsubscribe(input: UnsubscribeInput): Promise<Group[]>;
  /** Joins (or re-joins) groups; returns the groups actually joined. */
  subscribe(input: SubscribeInput): Promise<Group[]>;
  /**
   * Applies the manager's ticked set in one transaction: joins the ticked groups, leaves the other
   * groups of the channel the contact is subscribed to. Unless `allowJoin`, ticked groups must be
   * groups the contact has a membership in (the manager only shows those), else `invalid_input`.
   */
  setSubscriptions(input: SetSubscriptionsInput): Promise<{ joined: Group[]; left: Group[] }>;
  /**
   * Creates a contact in its initial groups; emits one `contact adding`. An address on the
   * suppression list starts unsubscribed from the groups listed there (never joined), and
   * `suppressed` says so.
   */
  createContact(input: CreateContactCommand): Promise<CreatedContact>;
  /**
   * Erases a contact and every stored copy of its personal data; its unsubscribes stay on the
   * suppression list as keyed hashes. @throws SubscriptionError `contact_not_found`.
   */
  eraseContact(contactId: number): Promise<ErasureReport>;
  /** The suppression list's entries for an address (looked up by keyed hash; nothing is stored). */
  checkSuppression(address: { email?: string; phone?: string }): Promise<SuppressionNotice[]>;
  /** Updates a contact's fields (no event: the seed has none for updates). */
  updateContact(contactId: number, patch: UpdateContactCommand): Promise<Contact>;
  /**
   * Imports a CSV/NDJSON file: validates every row first and, on any problem, imports nothing and
   * returns all problems; otherwise creates or merges all contacts in ONE transaction (merge rules:
   * `ContactsStore.importContacts`). New contacts emit `contact adding`; existing contacts that
   * join groups emit `mailing group subscribe` per group.
   */
  importContacts(input: ImportContactsCommand): Promise<ImportContactsOutcome>;
  /** Creates a mailing group (display name, unique Latin system name, one channel). */
  createGroup(input: CreateGroupCommand): Promise<Group>;
  /** Every group, or those of one channel, by id. */
  listGroups(options?: { channel?: Channel }): Promise<Group[]>;
  /**
   * A reply to an SMS: STOP-words leave every SMS group of each contact with the sender's phone,
   * START-words re-join what the STOPs left, anything else is recorded (source `sms-reply`, one
   * event per group changed). An unknown phone stores nothing and answers `{ matched: false }`.
   */
  replyToSms(input: InboundSms): Promise<SmsReplyResult>;
  /** Replaces a group's display names per locale (`{}` removes them); events keep its main name. */
  setGroupNames(groupId: number, names: Record<string, string>): Promise<Group>;
  /**
   * Re-subscribes exactly the groups one link's unsubscribe left (those still unsubscribed by it),
   * within `undoWindowDays` of that unsubscribe; emits `mailing group subscribe` per group.
   */
  undoLinkUnsubscribe(input: UndoInput): Promise<UndoOutcome>;
  /** Stores the contact's reason with what one link's unsubscribe left; false when it left nothing. */
  recordUnsubscribeReason(input: {
    contactId: number;
    unsubscribeRef: string;
    reason: { code: string; text?: string };
  }): Promise<boolean>;
}

/** `error` naming `from` as its field, re-made to name `to` (the store's names are not the caller's). */
function renameField(error: unknown, from: string, to: string): unknown {
  if (!(error instanceof SubscriptionError) || error.field !== from) return error;
  return new SubscriptionError(error.code, error.message, { field: to, cause: error.cause ?? error });
}

/** Builds the subscription commands over a store. */
export function createSubscriptions(options: SubscriptionsOptions): Subscriptions {
  const { store, bus } = options;
  const now = options.now ?? Date.now;
  const onError =
    options.onError ??
    ((error: unknown, event: EmittedEvent) =>
      console.error(
        `unsub: an event bus handler failed for "${event.event}" (the event is in the outbox):`,
        error,
      ));

  /** Runs a store call, mapping its errors, then announces the committed events. */
  const commit = async <T>(run: () => Promise<Committed<T>>): Promise<T> => {
    let committed: Committed<T>;
    try {
      committed = await run();
    } catch (error) {
      throw fromStoreError(error);
    }
    if (bus) {
      for (const stored of committed.events) {
        const event = JSON.parse(stored.body) as EmittedEvent;
        try {
          bus.emit(event);
        } catch (error) {
          onError(error, event);
        }
      }
    }
    return committed.value;
  };

  const reportLeft = (channel: Channel, source: string, count: number) => {
    if (count === 0 || !options.onUnsubscribed) return;
    try {
      options.onUnsubscribed({ channel, source, count });
    } catch {
      // A metrics hook must never fail a committed command.
    }
  };
  const erasure = createErasure(
    store,
    createSuppressionKeys(store, { now, randomBytes: options.randomBytes }),
    now,
  );

  const groupsIn = (changes: { group: Group; state: string }[], state: string) =>
    changes.filter((change) => change.state === state).map((change) => change.group);

  return {
    async unsubscribe(input) {
      const { contactId, channel, groupIds, source, unsubscribeRef } = parseInput(unsubscribeSchema, input);
      const changes = await commit(() =>
        store.changeMemberships(
          {
            contactId,
            channel,
            unsubscribe: groupIds,
            source,
            at: now(),
            ...(unsubscribeRef === undefined ? {} : { unsubscribeRef }),
          },
          membershipEvents,
        ),
      );
      const left = groupsIn(changes, 'unsubscribed');
      reportLeft(channel, source, left.length);
      return left;
    },

    async undoLinkUnsubscribe(input) {
      const { contactId } = parseInput(z.object({ contactId: idSchema }), input);
      const left = await store.getLinkUnsubscribes(contactId, input.unsubscribeRef);
      if (left.length === 0) return { status: 'nothing' };
      const at = now();
      const since = at - undoWindowDays * 24 * 60 * 60 * 1000;
      const undoable = left.filter((membership) => membership.changedAt >= since);
      if (undoable.length === 0) return { status: 'expired', days: undoWindowDays };
      const changes = await commit(() =>
        store.changeMemberships(
          {
            contactId,
            subscribe: undoable.map((membership) => membership.group.id),
            source: input.source ?? 'undo',
            at,
          },
          membershipEvents,
        ),
      );
      const groups = groupsIn(changes, 'subscribed');
      return groups.length > 0 ? { status: 'undone', groups } : { status: 'nothing' };
    },

    async recordUnsubscribeReason(input) {
      const { contactId, reason } = parseInput(
        z.object({ contactId: idSchema, reason: unsubscribeReasonSchema }),
        input,
      );
      return (await store.setUnsubscribeReason(contactId, input.unsubscribeRef, reason)) > 0;
    },

    async subscribe(input) {
      const { contactId, channel, groupIds, source } = parseInput(subscribeSchema, input);
      const changes = await commit(() =>
        store.changeMemberships(
          { contactId, channel, subscribe: groupIds, source, at: now() },
          membershipEvents,
        ),
      );
      return groupsIn(changes, 'subscribed');
    },

    async setSubscriptions(input) {
      const { contactId, channel, subscribedGroupIds, source, allowJoin } = parseInput(
        setSubscriptionsSchema,
        input,
      );
      if (!allowJoin) {
        if (!(await store.getContact(contactId))) {
          throw new SubscriptionError('contact_not_found', `contact ${contactId} does not exist`, {
            field: 'contactId',
          });
        }
        const own = new Set((await store.getMemberships(contactId, channel)).map((m) => m.group.id));
        const foreign = subscribedGroupIds.filter((id) => !own.has(id));
        if (foreign.length > 0) {
          throw new SubscriptionError(
            'invalid_input',
            `subscribedGroupIds: group ${foreign.join(', ')} is not one of the contact's ${channel} groups`,
            { field: 'subscribedGroupIds' },
          );
        }
      }
      // One store call: joins and leaves commit together, one event per group that really changed
      // (the store checks the contact, the groups' existence and their channel inside it).
      const changes = await commit(() =>
        store.changeMemberships(
          { contactId, channel, subscribe: subscribedGroupIds, unsubscribe: 'all', source, at: now() },
          membershipEvents,
        ),
      ).catch((error: unknown) => Promise.reject(renameField(error, 'groupIds', 'subscribedGroupIds')));
      const left = groupsIn(changes, 'unsubscribed');
      reportLeft(channel, source, left.length);
      return { joined: groupsIn(changes, 'subscribed'), left };
    },

    async createContact(input) {
      const parsed = parseInput(createContactSchema, input);
      const suppression = await erasure.suppressionFor({ email: parsed.email, phone: parsed.phone });
      const contact = await commit(() =>
        store.createContact(
          {
            email: parsed.email,
            phone: parsed.phone ?? null,
            firstName: parsed.firstName ?? null,
            lastName: parsed.lastName ?? null,
            extra: parsed.extra ?? {},
            groupIds: parsed.groupIds ?? [],
            startUnsubscribed: suppression.groupIds,
            source: parsed.source ?? 'api',
            at: now(),
          },
          contactAddingEvents,
        ),
      );
      return { ...contact, suppressed: suppression.notices };
    },

    eraseContact(contactId) {
      return erasure.eraseContact(parseInput(idSchema, contactId));
    },

    checkSuppression(address) {
      return erasure.checkSuppression(address);
    },

    async updateContact(contactId, patch) {
      const id = parseInput(idSchema, contactId);
      const parsed = parseInput(contactPatchSchema, patch);
      try {
        return await store.updateContact(id, parsed, now());
      } catch (error) {
        throw fromStoreError(error);
      }
    },

    async importContacts(input) {
      const parsed = parseContactFile(input.text, input.format);
      const { rows, problems } = validateContactRecords(parsed.records, await store.listGroups());
      const all = [...parsed.problems, ...problems].sort((a, b) => a.line - b.line);
      if (all.length > 0) return { ok: false, problems: all };
      const suppressed = await erasure.suppressRows(rows);
      const counts = await commit(() =>
        store.importContacts(suppressed.rows, {
          source: input.source ?? 'import',
          at: now(),
          onCreated: contactAddingEvents,
          onChanged: membershipEvents,
          onProgress: input.onProgress,
        }),
      );
      return { ok: true, ...counts, suppressed: suppressed.notices };
    },

    async createGroup(input) {
      const parsed = parseInput(createGroupSchema, input);
      try {
        return await store.createGroup(parsed, now());
      } catch (error) {
        throw fromStoreError(error);
      }
    },

    async setGroupNames(groupId, names) {
      const parsed = parseInput(z.object({ groupId: idSchema, names: groupNamesSchema }), { groupId, names });
      try {
        return await store.setGroupNames(parsed.groupId, parsed.names as Record<string, string>);
      } catch (error) {
        throw fromStoreError(error);
      }
    },

    listGroups(listOptions = {}) {
      return store.listGroups(listOptions);
    },

    async replyToSms(input) {
      const parsed = parseInput(inboundSmsSchema, input);
      const { command, locale } = smsCommandOf(parsed.text);
      const at = now();
      const receivedAt = parsed.receivedAt === undefined ? at : new Date(parsed.receivedAt).getTime();
      const outcomes = await commit(() =>
        store.applySmsReply(
          {
            phones: phoneSpellings(parsed.from),
            from: parsed.from,
            to: parsed.to ?? null,
            text: parsed.text,
            command,
            receivedAt,
            source: 'sms-reply',
            at,
          },
          membershipEvents,
        ),
      );
      if (outcomes.length === 0) return { matched: false };
      return {
        matched: true,
        command,
        locale,
        contacts: outcomes.map(({ contact, changed }) => ({
          id: contact.id,
          left: groupsIn(changed, 'unsubscribed'),
          joined: groupsIn(changed, 'subscribed'),
        })),
      };
    },
  };
}
