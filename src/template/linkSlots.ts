/**
 * @module Link slots: the distinct links a template can produce, built once at compile time. Each
 * tag resolves its groups through the catalog and points at a slot; equal tags share one slot (so
 * the same tag twice yields the same URL). One slot is chosen for the List-Unsubscribe header.
 */
import type { TagError, TagNode } from '../../grammar/index.js';
import {
  maxCompactGroups,
  maxGroupIds,
  maxRedirectUrlLength,
  type Channel,
  type LinkAction,
} from '../links/index.js';
import type { GroupCatalog, GroupResolver } from './groupCatalog.js';

/** One distinct link of a template: what its token says, apart from the recipient. */
export interface LinkSlot {
  action: LinkAction;
  /** Sorted, unique group ids; `[]` for 'unsubscribe' (every group of the channel) and 'manage'. */
  groupIds: readonly number[];
  redirectUrl?: string;
}

/** The slot table of a template and which tag uses which slot. */
export interface SlotTable {
  slots: LinkSlot[];
  /** Slot index per tag, in the order of the tags given. */
  tagSlots: number[];
  /** The slot whose URL goes into `List-Unsubscribe` (never a redirect: one-click must not redirect). */
  headerSlot: number;
  errors: TagError[];
  warnings: TagError[];
}

function problem(tag: TagNode, code: TagError['code'], message: string, hint?: string): TagError {
  const error: TagError = { code, message, line: tag.position.line, column: tag.position.column };
  if (hint !== undefined) error.hint = hint;
  return error;
}

/**
 * Why a tag cannot become a compact link (SMS): a redirect URL has no room in 40 characters, and a
 * link naming more than three groups would pass it. Both are refused rather than kept server-side:
 * a record per sent SMS would grow the store with every message and make rendering write to it,
 * while the manager link (or `link_unsubscribe`) already covers many groups in a few characters.
 */
function compactRefusal(tag: TagNode, groupCount: number): TagError | undefined {
  if (tag.action === 'unsubscribe_redirect') {
    return problem(
      tag,
      'compact_link_redirect',
      'UnsubscribeRedirect cannot be a compact SMS link (a 40-character link has no room for the URL)',
      "write <<Unsubscribe('…')>>; the confirmation page is the landing page of an SMS link",
    );
  }
  if (groupCount > maxCompactGroups) {
    return problem(
      tag,
      'compact_link_groups',
      `a compact SMS link carries at most ${maxCompactGroups} groups; this tag names ${groupCount}`,
      'use <<link_unsubscribe_manager>> (the contact picks) or <<link_unsubscribe>> (every SMS group)',
    );
  }
  return undefined;
}

/** Builds the slot table for the tags of a template. */
export function buildSlotTable(
  tags: readonly TagNode[],
  resolver: GroupResolver,
  catalog: GroupCatalog | undefined,
  options: { compact?: boolean; channel?: Channel } = {},
): SlotTable {
  const table: SlotTable = { slots: [], tagSlots: [], headerSlot: -1, errors: [], warnings: [] };
  const byKey = new Map<string, number>();
  const slotFor = (slot: LinkSlot): number => {
    const key = `${slot.action}|${slot.groupIds.join(',')}|${slot.redirectUrl ?? ''}`;
    let index = byKey.get(key);
    if (index === undefined) {
      index = table.slots.push(slot) - 1;
      byKey.set(key, index);
    }
    return index;
  };
  const channels = new Map<Channel, TagNode>();
  let firstGroupSlot: LinkSlot | undefined;

  for (const tag of tags) {
    const ids = new Set<number>();
    let resolved = true;
    for (const group of tag.groups) {
      const result = resolver.resolve(group.name);
      if (!result.ok) {
        resolved = false;
        const error: TagError = {
          code: result.code,
          message: result.message,
          line: group.position.line,
          column: group.position.column,
        };
        if (result.hint !== undefined) error.hint = result.hint;
        table.errors.push(error);
        continue;
      }
      // An SMS message's links leave SMS groups; an e-mail group there would be a link that fails.
      if (options.channel === 'sms' && result.group.channel === 'email') {
        resolved = false;
        table.errors.push({
          code: 'wrong_channel',
          message: `'${group.name}' is an email group; the links of an SMS can only leave SMS groups`,
          line: group.position.line,
          column: group.position.column,
        });
        continue;
      }
      ids.add(result.group.id);
      if (result.group.channel !== undefined && !channels.has(result.group.channel)) {
        channels.set(result.group.channel, tag);
      }
    }
    if (ids.size > maxGroupIds) {
      table.errors.push(problem(tag, 'too_many_groups', `a tag may name at most ${maxGroupIds} groups`));
      resolved = false;
    }
    if (options.compact) {
      const refusal = compactRefusal(tag, ids.size);
      if (refusal) {
        table.errors.push(refusal);
        resolved = false;
      }
    }
    const slot: LinkSlot = { action: tag.action, groupIds: [...ids].sort((a, b) => a - b) };
    if (tag.redirectUrl !== undefined) {
      // The token carries the normalised ASCII form (punycode host, percent-encoded path).
      slot.redirectUrl = new URL(tag.redirectUrl).href;
      if (slot.redirectUrl.length > maxRedirectUrlLength) {
        table.errors.push(
          problem(
            tag,
            'invalid_redirect_url',
            `redirect URL is longer than ${maxRedirectUrlLength} characters`,
          ),
        );
        resolved = false;
      }
    }
    table.tagSlots.push(resolved ? slotFor(slot) : -1);
    if (resolved && firstGroupSlot === undefined && slot.groupIds.length > 0) firstGroupSlot = slot;
  }

  if (catalog !== undefined && channels.size > 1) {
    const second = [...channels.values()][1]!;
    table.warnings.push(
      problem(
        second,
        'mixed_channels',
        'the template names groups of both the email and the sms channel',
        'a message goes out on one channel; its links should name that channel’s groups',
      ),
    );
  }

  // Header: the "everything" link if the template has one; else the first group tag's groups (as a
  // plain group unsubscribe, never a redirect); else an "everything" link made for the header.
  const everything: LinkSlot = { action: 'unsubscribe', groupIds: [] };
  if (tags.some((tag) => tag.action === 'unsubscribe')) table.headerSlot = slotFor(everything);
  else if (firstGroupSlot)
    table.headerSlot = slotFor({ action: 'unsubscribe_groups', groupIds: firstGroupSlot.groupIds });
  else table.headerSlot = slotFor(everything);
  return table;
}
