/**
 * @module `createMessageTemplates`: stored message templates over the store — lint, save (a new
 * immutable version each time; a template with lint errors is never stored), read, list versions,
 * re-activate, delete — and their compiled forms, cached per `(id, version)` in a bounded LRU.
 * Used by the admin API, the console and the CLI alike.
 */
import { createHash } from 'node:crypto';
import type { Store, StoredTemplate, TemplateVersionInfo } from '../store/index.js';
import { StoreError } from '../store/index.js';
import type { GroupCatalog, SmsLength } from '../template/index.js';
import { compileMessage, type CompiledMessage, type LintProblem } from './compileMessage.js';
import { createCompiledCache, type CompiledCacheOptions } from './compiledCache.js';
import { MessageTemplateError } from './messageTemplateError.js';
import {
  templateContent,
  templateParts,
  type LintInput,
  type TemplateInput,
  type TemplateParts,
} from './templateContent.js';

/** Options of `createMessageTemplates`. */
export interface MessageTemplatesOptions {
  store: Store;
  /** Clock (ms) for saves; default `Date.now`. */
  now?: () => number;
  cache?: CompiledCacheOptions;
  /**
   * How long (ms) this process trusts the active version it last read of a template before asking
   * the store again (default 1000; 0: every render asks). Saves and activations made through this
   * process apply at once; those made by another process sharing the database, within this time.
   */
  activeVersionTtlMs?: number;
  /**
   * The public base of the links (`UNSUB_BASE_URL`): an SMS template's length and segments are
   * measured with its links as rendered (default `https://u.example.com`).
   */
  baseUrl?: string;
}

/** What lint reports. */
export interface LintReport {
  errors: LintProblem[];
  warnings: LintProblem[];
  /** SMS templates: the text's rendered length, encoding and segments (GSM-7 160/153, UCS-2 70/67). */
  sms?: SmsLength;
}

/** A stored template version and its compiled form. */
export interface CompiledStoredTemplate {
  template: StoredTemplate;
  message: CompiledMessage;
}

/** The stored-templates service. */
export interface MessageTemplates {
  /** Checks a template without saving it. @throws MessageTemplateError `template_too_large`, `invalid_input`. */
  lint(input: LintInput): Promise<LintReport>;
  /** Saves a new template (version 1). @throws MessageTemplateError `invalid_template` with `problems`. */
  create(input: TemplateInput): Promise<StoredTemplate>;
  /** Saves a new version and activates it. @throws as `create`, and `template_not_found`. */
  update(id: number, input: TemplateInput): Promise<StoredTemplate>;
  /** The active version, or `version`. @throws `template_not_found`, `template_version_not_found`. */
  get(id: number, version?: number): Promise<StoredTemplate>;
  list(): Promise<StoredTemplate[]>;
  versions(id: number): Promise<TemplateVersionInfo[]>;
  activate(id: number, version: number): Promise<StoredTemplate>;
  /** @throws `template_not_found`. */
  remove(id: number): Promise<void>;
  /** The active (or given) version, compiled (from the cache when it can). */
  compiled(id: number, version?: number): Promise<CompiledStoredTemplate>;
  /** An inline template (`POST /api/render` with `template`), compiled and cached by its content. */
  compileInline(parts: TemplateParts): Promise<CompiledMessage>;
}

const notFound = (id: number) =>
  new MessageTemplateError('template_not_found', `there is no template ${id}`, { field: 'id' });

/** The store's groups as the engine's catalog (tags name groups by system or display name). */
async function groupCatalog(store: Store): Promise<GroupCatalog> {
  return (await store.listGroups()).map((group) => ({
    id: group.id,
    name: group.name,
    systemName: group.systemName,
    channel: group.channel,
    description: group.description,
  }));
}

const sizeOf = (parts: Pick<TemplateParts, 'subject' | 'html' | 'text'>) =>
  (parts.subject?.length ?? 0) + (parts.html?.length ?? 0) + (parts.text?.length ?? 0);

/** Creates the service. */
export function createMessageTemplates(options: MessageTemplatesOptions): MessageTemplates {
  const { store } = options;
  const now = options.now ?? Date.now;
  const cache = createCompiledCache<CompiledMessage>(options.cache);
  const activeTtlMs = options.activeVersionTtlMs ?? 1000;
  const measure = { baseUrl: options.baseUrl ?? 'https://u.example.com' };
  /** Template id → its active version as last read, until when it is trusted. */
  const active = new Map<number, { template: StoredTemplate; until: number }>();
  const forget = (id: number) => active.delete(id);

  /** Compiles or throws `invalid_template` with every error. */
  const compileOrThrow = async (parts: TemplateParts): Promise<CompiledMessage> => {
    const result = compileMessage(parts, await groupCatalog(store), measure);
    if (result.ok) return result.message;
    const first = result.errors[0]!;
    throw new MessageTemplateError(
      'invalid_template',
      `the template has ${result.errors.length} error(s); the first: ${first.part} ${first.line}:${first.column} ${first.message}`,
      { field: first.part, problems: result.errors },
    );
  };

  const remember = (template: StoredTemplate, message: CompiledMessage) =>
    cache.set(`${template.id}:${template.version}`, message, sizeOf(template));

  /** Maps the store's not-found errors to this part's. */
  const mapped = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (
        error instanceof StoreError &&
        (error.code === 'template_not_found' || error.code === 'template_version_not_found')
      )
        throw new MessageTemplateError(error.code, error.message, { field: error.field, cause: error });
      throw error;
    }
  };

  const get = async (id: number, version?: number) => {
    const template = await store.getTemplate(id, version);
    if (template) return template;
    if (version !== undefined && (await store.getTemplate(id)))
      throw new MessageTemplateError(
        'template_version_not_found',
        `template ${id} has no version ${version}`,
        {
          field: 'version',
        },
      );
    throw notFound(id);
  };

  return {
    async lint(input) {
      const result = compileMessage(templateParts(input), await groupCatalog(store), measure);
      const report: LintReport = { errors: result.ok ? [] : result.errors, warnings: result.warnings };
      if (result.sms) report.sms = result.sms;
      return report;
    },

    async create(input) {
      const content = templateContent(input);
      const message = await compileOrThrow(content);
      const template = await store.createTemplate(content, now());
      remember(template, message);
      return template;
    },

    async update(id, input) {
      const content = templateContent(input);
      const message = await compileOrThrow(content);
      const template = await mapped(() => store.addTemplateVersion(id, content, now()));
      forget(id);
      remember(template, message);
      return template;
    },

    get,

    list: () => store.listTemplates(),

    async versions(id) {
      const versions = await store.listTemplateVersions(id);
      if (!versions) throw notFound(id);
      return versions;
    },

    async activate(id, version) {
      forget(id);
      return mapped(() => store.activateTemplateVersion(id, version, now()));
    },

    async remove(id) {
      forget(id);
      if (!(await store.deleteTemplate(id))) throw notFound(id);
      cache.deletePrefix(`${id}:`);
    },

    async compiled(id, version) {
      let template: StoredTemplate;
      const known = version === undefined ? active.get(id) : undefined;
      if (known !== undefined && known.until > now()) {
        template = known.template;
      } else {
        template = await get(id, version);
        if (version === undefined && activeTtlMs > 0) {
          if (active.size >= 10_000) active.clear(); // bounded: ids are few in practice
          active.set(id, { template, until: now() + activeTtlMs });
        }
      }
      const key = `${template.id}:${template.version}`;
      let message = cache.get(key);
      if (message === undefined) {
        // Stored templates passed lint when saved; groups are never deleted, so this compiles.
        message = await compileOrThrow(template);
        remember(template, message);
      }
      return { template, message };
    },

    async compileInline(parts) {
      const key = `inline:${createHash('sha256')
        .update(JSON.stringify([parts.channel, parts.subject, parts.html, parts.text]))
        .digest('base64url')}`;
      let message = cache.get(key);
      if (message === undefined) {
        message = await compileOrThrow(parts);
        cache.set(key, message, sizeOf(parts));
      }
      return message;
    },
  };
}
