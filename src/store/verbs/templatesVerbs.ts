/**
 * @module Message-template verbs: versions are inserted, never updated; the template row holds the
 * active and latest version numbers (see migration 4).
 */
import type { SqlExecutor, SqlSession } from '../sqlExecutor.js';
import { StoreError } from '../storeError.js';
import type { StoredTemplate, TemplateContent, TemplatesStore } from '../templatesTypes.js';
import type { Channel } from '../types.js';

type TemplateRow = {
  id: number | string;
  version: number | string;
  active_version: number | string;
  latest_version: number | string;
  name: string;
  channel: string;
  subject: string;
  html: string;
  text: string | null;
  created_at: number | string;
  updated_at: number | string;
  version_created_at: number | string;
};

const columns = `t.id, v.version, t.active_version, t.latest_version, v.name, v.channel, v.subject, v.html,
  v.text, t.created_at, t.updated_at, v.created_at AS version_created_at`;
const from = 'message_templates t JOIN message_template_versions v ON v.template_id = t.id';

function fromRow(row: TemplateRow): StoredTemplate {
  return {
    id: Number(row.id),
    version: Number(row.version),
    activeVersion: Number(row.active_version),
    latestVersion: Number(row.latest_version),
    name: row.name,
    channel: row.channel as Channel,
    subject: row.subject,
    html: row.html,
    text: row.text,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    versionCreatedAt: Number(row.version_created_at),
  };
}

const notFound = (id: number) =>
  new StoreError('template_not_found', `there is no template ${id}`, { field: 'id' });

async function selectVersion(session: SqlSession, id: number, version: number | undefined) {
  const rows = await session.all<TemplateRow>(
    version === undefined
      ? `SELECT ${columns} FROM ${from} WHERE t.id = ? AND v.version = t.active_version`
      : `SELECT ${columns} FROM ${from} WHERE t.id = ? AND v.version = ?`,
    version === undefined ? [id] : [id, version],
  );
  return rows[0] ? fromRow(rows[0]) : undefined;
}

async function insertVersion(
  tx: SqlSession,
  id: number,
  version: number,
  content: TemplateContent,
  at: number,
) {
  await tx.run(
    `INSERT INTO message_template_versions (template_id, version, name, channel, subject, html, text, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [id, version, content.name, content.channel, content.subject, content.html, content.text, at],
  );
}

/** The template verbs on one executor. */
export function createTemplatesVerbs(executor: SqlExecutor): TemplatesStore {
  return {
    createTemplate(content, at) {
      return executor.transaction(async (tx) => {
        const rows = await tx.all<{ id: number | string }>(
          `INSERT INTO message_templates (active_version, latest_version, created_at, updated_at)
           VALUES (1, 1, ?, ?) RETURNING id`,
          [at, at],
        );
        const id = Number(rows[0]!.id);
        await insertVersion(tx, id, 1, content, at);
        return (await selectVersion(tx, id, 1))!;
      });
    },

    addTemplateVersion(id, content, at) {
      return executor.transaction(async (tx) => {
        // The UPDATE takes the row lock (PostgreSQL), so concurrent saves number one after the other.
        const rows = await tx.all<{ latest_version: number | string }>(
          `UPDATE message_templates SET latest_version = latest_version + 1,
             active_version = latest_version + 1, updated_at = ?
           WHERE id = ? RETURNING latest_version`,
          [at, id],
        );
        if (!rows[0]) throw notFound(id);
        const version = Number(rows[0].latest_version);
        await insertVersion(tx, id, version, content, at);
        return (await selectVersion(tx, id, version))!;
      });
    },

    getTemplate(id, version) {
      return selectVersion(executor, id, version);
    },

    async listTemplates() {
      const rows = await executor.all<TemplateRow>(
        `SELECT ${columns} FROM ${from} WHERE v.version = t.active_version ORDER BY t.id`,
      );
      return rows.map(fromRow);
    },

    async listTemplateVersions(id) {
      const template = await executor.all<{ active_version: number | string }>(
        'SELECT active_version FROM message_templates WHERE id = ?',
        [id],
      );
      if (!template[0]) return undefined;
      const active = Number(template[0].active_version);
      const rows = await executor.all<{
        version: number | string;
        name: string;
        subject: string;
        created_at: number | string;
      }>(
        `SELECT version, name, subject, created_at FROM message_template_versions
         WHERE template_id = ? ORDER BY version DESC`,
        [id],
      );
      return rows.map((row) => ({
        version: Number(row.version),
        name: row.name,
        subject: row.subject,
        createdAt: Number(row.created_at),
        active: Number(row.version) === active,
      }));
    },

    activateTemplateVersion(id, version, at) {
      return executor.transaction(async (tx) => {
        const exists = await tx.all(
          `SELECT id FROM message_templates WHERE id = ?${executor.capabilities.lockRowsSuffix}`,
          [id],
        );
        if (!exists[0]) throw notFound(id);
        const versions = await tx.all(
          'SELECT version FROM message_template_versions WHERE template_id = ? AND version = ?',
          [id, version],
        );
        if (!versions[0]) {
          throw new StoreError('template_version_not_found', `template ${id} has no version ${version}`, {
            field: 'version',
          });
        }
        await tx.run('UPDATE message_templates SET active_version = ?, updated_at = ? WHERE id = ?', [
          version,
          at,
          id,
        ]);
        return (await selectVersion(tx, id, version))!;
      });
    },

    deleteTemplate(id) {
      return executor.transaction(async (tx) => {
        await tx.run('DELETE FROM message_template_versions WHERE template_id = ?', [id]);
        return (await tx.run('DELETE FROM message_templates WHERE id = ?', [id])) > 0;
      });
    },
  };
}
