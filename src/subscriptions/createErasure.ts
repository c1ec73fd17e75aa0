/**
 * @module Erasure and the suppression list, as subscription commands: erase a contact (state,
 * history, every stored copy of its address) keeping its unsubscribes as keyed hashes, and look
 * addresses up in that list when a contact is created or imported, or when the sender asks.
 */
import {
  finishScrub,
  type Channel,
  type ImportContactRow,
  type ScrubCounts,
  type Store,
  type Suppression,
} from '../store/index.js';
import { SubscriptionError } from './subscriptionError.js';
import type { SuppressionKeys } from './suppressionKeys.js';

/** Groups an address starts unsubscribed from on one channel (ids, or every group of it). */
export interface SuppressionNotice {
  channel: Channel;
  groups: number[] | 'all';
}

/** What `eraseContact` removed: the contact's rows, and the history scrub's counts. */
export interface ErasureReport extends ScrubCounts {
  contactId: number;
  /** Memberships deleted with the contact. */
  memberships: number;
  /** What the suppression list now keeps for the address, per channel (no address stored). */
  suppressed: SuppressionNotice[];
}

/** Outbox and attempt rows examined per scrub transaction. */
const scrubPage = 5_000;

function notice(suppression: Suppression): SuppressionNotice {
  return { channel: suppression.channel, groups: suppression.groups };
}

/** The erasure commands over a store and the installation's suppression keys. */
export function createErasure(store: Store, keys: SuppressionKeys, now: () => number) {
  /** The suppression entries of an e-mail (channel email) and a phone (channel sms). */
  const lookup = async (addresses: { email?: string | null; phone?: string | null }[]) => {
    const key = await keys.keyFunction();
    const wanted = addresses.map((address) => ({
      email: address.email ? key('email', address.email) : undefined,
      sms: address.phone ? key('sms', address.phone) : undefined,
    }));
    const found = new Map(
      (
        await store.findSuppressions(
          wanted.flatMap((w) => [w.email, w.sms]).filter((k): k is string => k !== undefined),
        )
      ).map((entry) => [entry.key, entry]),
    );
    return wanted.map((w) =>
      [w.email, w.sms].flatMap((k) => {
        const entry = k === undefined ? undefined : found.get(k);
        return entry ? [notice(entry)] : [];
      }),
    );
  };

  /** Group ids the notices name (`all` → every group of that channel now). */
  const groupIdsOf = async (notices: readonly SuppressionNotice[]): Promise<number[]> => {
    const ids: number[] = [];
    for (const entry of notices) {
      if (entry.groups === 'all')
        ids.push(...(await store.listGroups({ channel: entry.channel })).map((g) => g.id));
      else ids.push(...entry.groups);
    }
    return [...new Set(ids)];
  };

  return {
    /**
     * Erases a contact: its row, memberships, every outbox event that carried its e-mail or phone
     * (with their deliveries — pending ones cancelled — and attempts), and response excerpts that
     * quoted them. Its unsubscribes stay in the suppression list as keyed hashes.
     * @throws SubscriptionError `contact_not_found`.
     */
    async eraseContact(contactId: number): Promise<ErasureReport> {
      const suppressionKey = await keys.keyFunction();
      const erased = await store.eraseContact({ contactId, at: now(), suppressionKey });
      if (!erased) {
        throw new SubscriptionError('contact_not_found', `there is no contact ${contactId}`, {
          field: 'id',
        });
      }
      // Recorded with the deletion: should this process die before the last page, the retention
      // job finishes the scrub (`finishScrub`), so the history never keeps the address.
      const { total } = await finishScrub(store, erased.scrubId, { pageSize: scrubPage, now });
      const report: ErasureReport = {
        contactId,
        memberships: erased.memberships,
        ...total,
        suppressed: erased.suppressions.map(notice),
      };
      return report;
    },

    /** Whether an address is suppressed (by its keyed hash; the query is not stored). */
    async checkSuppression(address: { email?: string; phone?: string }): Promise<SuppressionNotice[]> {
      return (await lookup([address]))[0] ?? [];
    },

    /** The suppression notices of one new contact, and the group ids it must start unsubscribed from. */
    async suppressionFor(address: { email: string; phone?: string | null }) {
      const notices = (await lookup([address]))[0] ?? [];
      return { notices, groupIds: await groupIdsOf(notices) };
    },

    /** Import rows with `startUnsubscribed` filled in, and a notice per suppressed row. */
    async suppressRows(rows: ImportContactRow[]) {
      const found = await lookup(rows);
      const notices: { email: string; suppressed: SuppressionNotice[] }[] = [];
      const out: ImportContactRow[] = [];
      for (const [index, row] of rows.entries()) {
        const entries = found[index] ?? [];
        if (entries.length === 0) {
          out.push(row);
          continue;
        }
        notices.push({ email: row.email, suppressed: entries });
        out.push({ ...row, startUnsubscribed: await groupIdsOf(entries) });
      }
      return { rows: out, notices };
    },
  };
}

/** The erasure commands (see `createErasure`). */
export type Erasure = ReturnType<typeof createErasure>;
