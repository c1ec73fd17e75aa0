/**
 * @module The message-templates verb group of the `Store`.
 *
 * Terminology: a **message template** is a stored template a mail composer renders by id; each save
 * is a new immutable **version** (subject, HTML, optional text part, channel, name); one version is
 * **active** (what `GET` shows and renders by default). Checking a template (lint) is the
 * messageTemplates part's job; the store keeps what it is given.
 */
import type { Channel } from './types.js';

/** The content of one version. */
export interface TemplateContent {
  name: string;
  channel: Channel;
  subject: string;
  html: string;
  /** The hand-written plain-text part; null when it is generated from the HTML. */
  text: string | null;
}

/** One version of a template, with the template's own fields. */
export interface StoredTemplate extends TemplateContent {
  id: number;
  version: number;
  activeVersion: number;
  latestVersion: number;
  /** When the template was created. */
  createdAt: number;
  /** When the template last changed (a save, an activation). */
  updatedAt: number;
  /** When this version was saved. */
  versionCreatedAt: number;
}

/** A version as listed (without its content). */
export interface TemplateVersionInfo {
  version: number;
  name: string;
  subject: string;
  createdAt: number;
  active: boolean;
}

/** Verbs of stored message templates. */
export interface TemplatesStore {
  /** Creates a template with `content` as version 1, active. */
  createTemplate(content: TemplateContent, at: number): Promise<StoredTemplate>;
  /**
   * Saves `content` as the next version and makes it active.
   * @throws StoreError `template_not_found` (field `id`).
   */
  addTemplateVersion(id: number, content: TemplateContent, at: number): Promise<StoredTemplate>;
  /** The active version, or `version` when given; undefined when either does not exist. */
  getTemplate(id: number, version?: number): Promise<StoredTemplate | undefined>;
  /** Every template's active version, by id. */
  listTemplates(): Promise<StoredTemplate[]>;
  /** The versions of a template, newest first; undefined when the template does not exist. */
  listTemplateVersions(id: number): Promise<TemplateVersionInfo[] | undefined>;
  /**
   * Makes `version` the active one.
   * @throws StoreError `template_not_found` (field `id`), `template_version_not_found` (field `version`).
   */
  activateTemplateVersion(id: number, version: number, at: number): Promise<StoredTemplate>;
  /** Deletes a template and all its versions; false when there was none. Ids are never reused. */
  deleteTemplate(id: number): Promise<boolean>;
}
