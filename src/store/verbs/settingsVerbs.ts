/**
 * @module Settings verbs: a key → JSON value map (page branding, sender options).
 */
import type { SqlExecutor } from '../sqlExecutor.js';
import type { JsonValue, SettingsStore } from '../types.js';

/** The settings verbs on one executor. */
export function createSettingsVerbs(executor: SqlExecutor): SettingsStore {
  return {
    async getSetting(key) {
      const rows = await executor.all<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key]);
      return rows[0] ? (JSON.parse(rows[0].value) as JsonValue) : undefined;
    },

    async setSetting(key, value, at) {
      await executor.run(
        `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        [key, JSON.stringify(value), at],
      );
    },

    async listSettings(prefix = '') {
      // substr instead of LIKE: prefixes may contain % or _; both backends count characters.
      const rows = await executor.all<{ key: string; value: string }>(
        'SELECT key, value FROM settings WHERE substr(key, 1, ?) = ? ORDER BY key',
        [prefix.length, prefix],
      );
      return Object.fromEntries(rows.map((row) => [row.key, JSON.parse(row.value) as JsonValue]));
    },

    async deleteSetting(key) {
      return (await executor.run('DELETE FROM settings WHERE key = ?', [key])) > 0;
    },
  };
}
