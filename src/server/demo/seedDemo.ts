/**
 * @module The demo's data: the groups of `examples/groups.json` (or a small built-in set when the
 * file is missing) and one demo contact subscribed to all of them. Idempotent: groups are matched by
 * system name and the contact by e-mail, so restarts reuse what the first start created.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Contact, Group, Store } from '../../store/index.js';
import type { Subscriptions } from '../../subscriptions/index.js';
import { parseGroupCatalog, type GroupCatalog } from '../../template/index.js';
import { packageRoot } from '../../version.js';

/** The examples folder shipped with the package. */
export const examplesDir: string = path.join(packageRoot, 'examples');

/** The demo contact's e-mail address (example.com never receives mail). */
export const demoEmail = 'demo@example.com';

/** Used when `examples/groups.json` is missing; one Cyrillic name, as real lists often have. */
const builtInGroups: GroupCatalog = [
  { id: 1, name: 'Новости', systemName: 'news', channel: 'email', description: 'Weekly news digest' },
  {
    id: 2,
    name: 'Offers & Promotions',
    systemName: 'promo',
    channel: 'email',
    description: 'Deals and sales',
  },
  { id: 3, name: 'Events & Webinars', systemName: 'events', channel: 'email', description: 'Invitations' },
  {
    id: 4,
    name: 'SMS alerts',
    systemName: 'sms_alerts',
    channel: 'sms',
    description: 'Order alerts by text',
  },
];

/** What the demo runs on. */
export interface DemoData {
  groups: Group[];
  contact: Contact;
  /** The groups as a template catalog, with the ids of THIS store. */
  catalog: GroupCatalog;
}

/** The demo groups' definitions: `examples/groups.json` when present, else the built-in set. */
export function demoGroupDefinitions(file = path.join(examplesDir, 'groups.json')): GroupCatalog {
  if (!existsSync(file)) return builtInGroups;
  return parseGroupCatalog(JSON.parse(readFileSync(file, 'utf8')));
}

/**
 * Creates (or finds) the demo groups and the demo contact. A new contact joins every demo group;
 * an existing one is left as the last visitor left it (`POST /preview/reset` re-subscribes it).
 */
export async function seedDemo(
  store: Store,
  subscriptions: Subscriptions,
  definitions: GroupCatalog = demoGroupDefinitions(),
): Promise<DemoData> {
  const groups: Group[] = [];
  for (const definition of definitions) {
    const existing = await store.findGroupBySystemName(definition.systemName);
    groups.push(
      existing ??
        (await subscriptions.createGroup({
          name: definition.name,
          systemName: definition.systemName,
          description: definition.description ?? '',
          channel: definition.channel,
        })),
    );
  }
  const contact =
    (await store.findContactByEmail(demoEmail)) ??
    (await subscriptions.createContact({
      email: demoEmail,
      phone: '+447700900123',
      firstName: 'Анна',
      lastName: 'Demo',
      extra: { city: 'Portsmouth' },
      groupIds: groups.map((group) => group.id),
      source: 'demo',
    }));
  const catalog = groups.map((group) => ({
    id: group.id,
    name: group.name,
    systemName: group.systemName,
    channel: group.channel,
    description: group.description,
  }));
  return { groups, contact, catalog };
}

/** Re-subscribes the demo contact to every demo group (emits a subscribe event per group re-joined). */
export async function resetDemo(subscriptions: Subscriptions, demo: DemoData): Promise<Group[]> {
  const joined: Group[] = [];
  for (const channel of ['email', 'sms'] as const) {
    const groupIds = demo.groups.filter((group) => group.channel === channel).map((group) => group.id);
    if (groupIds.length > 0) {
      joined.push(
        ...(await subscriptions.subscribe({ contactId: demo.contact.id, channel, groupIds, source: 'demo' })),
      );
    }
  }
  return joined;
}
