/**
 * @module Verbs over the unsubscribes a link made: what an "undo" on the done page may re-subscribe,
 * the contact's reason for leaving, and the group names per locale shown on the pages.
 *
 * A **link unsubscribe** is the set of memberships one unsubscribe through one link left: they
 * carry that link's `unsubscribeRef` (`ChangeMembershipsInput.unsubscribeRef`) until anything
 * changes them again, so an undo re-subscribes exactly those groups and never one the contact left
 * some other way.
 */
import type { Group, Membership, UnsubscribeReason } from './types.js';

/** Link unsubscribes, reasons and group names per locale. */
export interface LinkUnsubscribesStore {
  /** The contact's memberships still unsubscribed by the link `unsubscribeRef`, in group id order. */
  getLinkUnsubscribes(contactId: number, unsubscribeRef: string): Promise<Membership[]>;
  /**
   * Stores `reason` on the memberships still unsubscribed by the link (a later answer replaces an
   * earlier one). Returns how many memberships carry it (0: nothing left by that link).
   */
  setUnsubscribeReason(contactId: number, unsubscribeRef: string, reason: UnsubscribeReason): Promise<number>;
  /**
   * Replaces a group's display names per locale (`{}` removes them all).
   * @throws StoreError `group_not_found` (field `id`).
   */
  setGroupNames(groupId: number, names: Record<string, string>): Promise<Group>;
}
