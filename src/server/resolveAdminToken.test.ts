/**
 * @module `resolveAdminToken`: the configured token wins; otherwise one is created once (only its
 * hash stored) and accepted on later starts; a start that loses a creation race prints nothing.
 */
import { describe, expect, test } from 'vitest';
import type { JsonValue } from '../store/index.js';
import { adminTokenSettingKey, resolveAdminToken } from './resolveAdminToken.js';

/** The settings verbs over a Map; `afterSet` lets a test play another instance writing too. */
function memorySettings(afterSet?: (settings: Map<string, JsonValue>) => void) {
  const settings = new Map<string, JsonValue>();
  return {
    settings,
    async getSetting(key: string) {
      return settings.get(key);
    },
    async setSetting(key: string, value: JsonValue) {
      settings.set(key, value);
      afterSet?.(settings);
    },
  };
}

const now = () => 1_700_000_000_000;

describe('resolveAdminToken', () => {
  test('uses UNSUB_ADMIN_TOKEN when set and stores nothing', async () => {
    const store = memorySettings();
    const resolved = await resolveAdminToken(store, 'configured-admin-token-0123456789', now);
    expect(resolved.origin).toBe('env');
    expect(resolved.token).toBeUndefined();
    expect(resolved.verify('configured-admin-token-0123456789')).toBe(true);
    expect(resolved.verify('configured-admin-token-012345678')).toBe(false);
    expect(store.settings.size).toBe(0);
  });

  test('creates a token once, keeps only its hash, and accepts it on the next start', async () => {
    const store = memorySettings();
    const created = await resolveAdminToken(store, undefined, now);
    expect(created.origin).toBe('created');
    const token = created.token ?? '';
    expect(token).toMatch(/^unsub_/);
    const stored = store.settings.get(adminTokenSettingKey);
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify([...store.settings])).not.toContain(token);

    const later = await resolveAdminToken(store, undefined, now);
    expect(later.origin).toBe('stored');
    expect(later.token).toBeUndefined();
    expect(later.verify(token)).toBe(true);
    expect(later.verify(`${token}x`)).toBe(false);
  });

  test('does not show a token that another instance overwrote at the same moment', async () => {
    const other = 'ab'.repeat(32);
    const store = memorySettings((settings) => settings.set(adminTokenSettingKey, other));
    const resolved = await resolveAdminToken(store, undefined, now);
    expect(resolved.origin).toBe('stored');
    expect(resolved.token).toBeUndefined();
  });
});
