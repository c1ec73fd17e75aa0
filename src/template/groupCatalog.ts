/**
 * @module The group catalog a template's group names resolve through: its schema (`groups.json`)
 * and the lookup by system name or display name (exact first, then case-insensitive) or numeric id.
 */
import { z } from 'zod';
import { closestMatch } from '../../grammar/index.js';
import type { Channel } from '../links/index.js';
import { TemplateError } from './templateError.js';

/** One mailing group: a stable id, a display name, a Latin system name, and its one channel. */
export interface GroupInfo {
  id: number;
  /** Display name, as contacts see it (any script, e.g. 'Новости'). */
  name: string;
  /** Latin system name, unique in the catalog. */
  systemName: string;
  channel: Channel;
  description?: string;
}

/** Every group a template may name. */
export type GroupCatalog = readonly GroupInfo[];

const groupSchema = z.object({
  id: z.number().int().positive(),
  name: z.string().trim().min(1),
  systemName: z.string().trim().min(1),
  channel: z.enum(['email', 'sms']),
  description: z.string().optional(),
});

/**
 * Validates a group catalog: the text of a `groups.json` file, or the value it parses to (an array
 * of groups `{ id, name, systemName, channel, description? }`; ids and system names unique).
 * @example parseGroupCatalog(readFileSync('groups.json', 'utf8'))
 * @throws TemplateError `invalid_catalog` naming the item and field at fault (or, for text that is
 * not JSON, where the JSON breaks).
 */
export function parseGroupCatalog(value: unknown): GroupCatalog {
  if (typeof value === 'string') value = parseCatalogText(value);
  const parsed = z.array(groupSchema).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `[${issue.path.join('].')}` : 'the catalog';
    const message = issue?.path.length ? issue.message : 'must be a JSON array of groups';
    throw new TemplateError('invalid_catalog', `group catalog ${where}: ${message}`, { field: where });
  }
  const ids = new Set<number>();
  const systemNames = new Set<string>();
  parsed.data.forEach((group, index) => {
    if (ids.has(group.id)) {
      throw new TemplateError(
        'invalid_catalog',
        `group catalog [${index}].id: id ${group.id} is used twice`,
        {
          field: `[${index}].id`,
        },
      );
    }
    if (systemNames.has(group.systemName)) {
      throw new TemplateError(
        'invalid_catalog',
        `group catalog [${index}].systemName: '${group.systemName}' is used twice`,
        { field: `[${index}].systemName` },
      );
    }
    ids.add(group.id);
    systemNames.add(group.systemName);
  });
  return parsed.data.map((group) => {
    const info: GroupInfo = {
      id: group.id,
      name: group.name,
      systemName: group.systemName,
      channel: group.channel,
    };
    if (group.description !== undefined) info.description = group.description;
    return info;
  });
}

/** How a group name resolved. */
export type GroupResolution =
  | { ok: true; group: GroupInfo | { id: number; channel?: undefined } }
  | { ok: false; code: 'unknown_group' | 'ambiguous_group'; message: string; hint?: string };

const numericId = /^[1-9][0-9]{0,14}$/;

/** Resolves group names against one catalog (or none), with indexes built once. */
export class GroupResolver {
  readonly #exact = new Map<string, GroupInfo[]>();
  readonly #folded = new Map<string, GroupInfo[]>();
  readonly #byId = new Map<number, GroupInfo>();
  readonly #catalog: GroupCatalog | undefined;

  constructor(catalog: GroupCatalog | undefined) {
    this.#catalog = catalog;
    for (const group of catalog ?? []) {
      this.#byId.set(group.id, group);
      for (const key of new Set([group.systemName, group.name].map((n) => n.normalize('NFC')))) {
        add(this.#exact, key, group);
        add(this.#folded, key.toLowerCase(), group);
      }
    }
  }

  /** Resolves a name as written in a tag (already NFC-normalised and trimmed by the parser). */
  resolve(name: string): GroupResolution {
    const catalog = this.#catalog;
    if (catalog === undefined) {
      if (numericId.test(name)) return { ok: true, group: { id: Number(name) } };
      return {
        ok: false,
        code: 'unknown_group',
        message: `group '${name}' cannot be resolved without a group catalog`,
        hint: 'pass the catalog with --groups groups.json, or write the group’s numeric id',
      };
    }
    for (const [index, key] of [
      [this.#exact, name],
      [this.#folded, name.toLowerCase()],
    ] as const) {
      const found = unique(index.get(key));
      if (found.length === 1) return { ok: true, group: found[0]! };
      if (found.length > 1) {
        return {
          ok: false,
          code: 'ambiguous_group',
          message: `group '${name}' matches ${found.map((g) => `'${g.systemName}' (id ${g.id})`).join(' and ')}`,
          hint: 'name the group by its system name',
        };
      }
    }
    if (numericId.test(name)) {
      const byId = this.#byId.get(Number(name));
      if (byId) return { ok: true, group: byId };
    }
    const suggestion = closestMatch(
      name,
      catalog.flatMap((group) => [group.systemName, group.name]),
    );
    return {
      ok: false,
      code: 'unknown_group',
      message:
        suggestion === undefined
          ? `unknown group '${name}'`
          : `unknown group '${name}'; did you mean '${suggestion}'?`,
      hint:
        suggestion === undefined ? `known groups: ${catalog.map((g) => g.systemName).join(', ')}` : undefined,
    };
  }
}

function add(index: Map<string, GroupInfo[]>, key: string, group: GroupInfo): void {
  const list = index.get(key);
  if (list) list.push(group);
  else index.set(key, [group]);
}

function unique(groups: GroupInfo[] | undefined): GroupInfo[] {
  if (groups === undefined) return [];
  return groups.filter((group, index) => groups.findIndex((other) => other.id === group.id) === index);
}

/** JSON text → value, or `invalid_catalog` saying that the text is not JSON and where. */
function parseCatalogText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new TemplateError(
      'invalid_catalog',
      `group catalog: the text is not JSON (${(error as Error).message}); pass the file's text or the parsed array`,
      { field: 'the catalog' },
    );
  }
}
