/**
 * @module The verb group of SMS replies: a contact's reply of STOP/START (or anything else) to an
 * SMS, applied to its SMS memberships and recorded in one transaction.
 *
 * Terms: an *SMS reply* is one inbound message from a phone that matched a contact, as a messaging
 * gateway forwarded it; its *command* is `stop` (leave every SMS group), `start` (re-join what the
 * STOPs since the last START left) or `none` (recorded, nothing changes).
 */
import type { BuildEvents, Committed, Contact, MembershipChange, MembershipsChanged } from './types.js';

/** What an SMS reply asks for. */
export type SmsCommand = 'stop' | 'start' | 'none';

/** Input of `applySmsReply`. */
export interface SmsReplyInput {
  /** Every spelling of the sender's phone that counts as a match (`+7912…`, `7912…`). */
  phones: readonly string[];
  /** The sender's phone, normalised, as recorded. */
  from: string;
  /** The number the reply was sent to (the sender's short code or line), if the gateway says. */
  to: string | null;
  text: string;
  command: SmsCommand;
  /** When the gateway received it (ms); the caller's clock when it does not say. */
  receivedAt: number;
  /** Membership source, e.g. `sms-reply`. */
  source: string;
  at: number;
}

/** What one reply did for one matched contact. */
export interface SmsReplyOutcome {
  contact: Contact;
  /** The memberships that really changed (empty for `none` and for repeats). */
  changed: MembershipChange[];
}

/** One recorded SMS reply. */
export interface SmsReply {
  id: number;
  contactId: number;
  from: string;
  to: string | null;
  text: string;
  command: SmsCommand;
  /** Groups the reply left (`stop`) or re-joined (`start`). */
  groupIds: number[];
  receivedAt: number;
  createdAt: number;
}

/** SMS replies (STOP/START) and their record. */
export interface SmsRepliesStore {
  /**
   * For every contact whose phone is one of `phones`, in ONE transaction: applies the command
   * (`stop`: leave every subscribed SMS group; `start`: re-join the groups that the `stop` replies
   * since its last `start` left), appends `buildEvents` per contact that changed, and records the
   * reply. No contact matches → nothing is written and the value is `[]`.
   */
  applySmsReply(
    input: SmsReplyInput,
    buildEvents: BuildEvents<MembershipsChanged>,
  ): Promise<Committed<SmsReplyOutcome[]>>;
  /** The contact's recorded replies, newest first. */
  listSmsReplies(contactId: number, options?: { limit?: number }): Promise<SmsReply[]>;
}
