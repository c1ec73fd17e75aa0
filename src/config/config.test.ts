/** @module Tests of the environment → Config parsing: defaults, and errors that name the variable. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.js';

describe('loadConfig', () => {
  it('gives working defaults on an empty environment (the embedded SQLite store under ./data)', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.dataDir).toBe(path.resolve('data'));
    expect(config.sqlitePath).toBe(path.resolve('data', 'unsub.db'));
    expect(config.keysFile).toBe(path.resolve('data', 'keys.json'));
    expect(config.databaseUrl).toBeUndefined();
    expect(config.baseUrl).toBe('http://localhost:8080');
    expect(config.baseUrlFromDefault).toBe(true);
    expect(config.confirm).toBe(true);
    expect(config.webhookTimeoutMs).toBe(15_000);
    expect(config.retryScheduleMs).toBeUndefined();
    expect(config.sqliteThread).toBe(true);
    expect(config.renderThreads).toBeGreaterThanOrEqual(1);
    expect(config.renderThreads).toBeLessThanOrEqual(4);
    expect(config.auditRetentionDays).toBe(365);
  });

  it('reads every variable it documents', () => {
    const config = loadConfig({
      PORT: '3000',
      UNSUB_DATA_DIR: '/tmp/unsub-x',
      UNSUB_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      UNSUB_BASE_URL: 'https://unsub.example.com/',
      UNSUB_ADMIN_TOKEN: 'a'.repeat(32),
      UNSUB_CONFIRM: 'false',
      UNSUB_LINK_MAX_AGE_DAYS: '90',
      UNSUB_WEBHOOK_ALLOW: '127.0.0.0/8, ::1/128',
      UNSUB_RETRY_SCHEDULE: '0,50ms,1s,2m,1h',
      UNSUB_SQLITE_THREAD: 'false',
      UNSUB_RENDER_THREADS: '0',
      UNSUB_AUDIT_RETENTION_DAYS: '0',
    });
    expect(config.port).toBe(3000);
    expect(config.keysFile).toBe('/tmp/unsub-x/keys.json');
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/test');
    expect(config.baseUrl).toBe('https://unsub.example.com');
    expect(config.confirm).toBe(false);
    expect(config.linkMaxAgeDays).toBe(90);
    expect(config.webhookAllow).toEqual(['127.0.0.0/8', '::1/128']);
    expect(config.retryScheduleMs).toEqual([0, 50, 1000, 120_000, 3_600_000]);
    expect(config.sqliteThread).toBe(false);
    expect(config.renderThreads).toBe(0);
    expect(config.auditRetentionDays).toBe(0);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ UNSUB_BASE_URL: 'unsub.example.com' }, 'UNSUB_BASE_URL'],
    [{ UNSUB_BASE_URL: 'javascript:alert(1)' }, 'UNSUB_BASE_URL'],
    [{ UNSUB_DATABASE_URL: 'mysql://x' }, 'UNSUB_DATABASE_URL'],
    [{ UNSUB_ADMIN_TOKEN: 'short' }, 'UNSUB_ADMIN_TOKEN'],
    [{ UNSUB_CONFIRM: 'maybe' }, 'UNSUB_CONFIRM'],
    [{ UNSUB_SQLITE_THREAD: 'sometimes' }, 'UNSUB_SQLITE_THREAD'],
    [{ UNSUB_LINK_MAX_AGE_DAYS: '30' }, 'UNSUB_LINK_MAX_AGE_DAYS'],
    [{ UNSUB_RETRY_SCHEDULE: '0,soon' }, 'UNSUB_RETRY_SCHEDULE'],
    [{ UNSUB_RENDER_THREADS: 'two' }, 'UNSUB_RENDER_THREADS'],
    [{ UNSUB_RENDER_THREADS: '-1' }, 'UNSUB_RENDER_THREADS'],
    [{ UNSUB_RENDER_THREADS: '1.5' }, 'UNSUB_RENDER_THREADS'],
    [{ UNSUB_AUDIT_RETENTION_DAYS: 'a year' }, 'UNSUB_AUDIT_RETENTION_DAYS'],
    [{ UNSUB_AUDIT_RETENTION_DAYS: '-1' }, 'UNSUB_AUDIT_RETENTION_DAYS'],
  ])('refuses %o naming %s', (env, name) => {
    let caught: unknown;
    try {
      loadConfig(env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).field).toBe(name);
    expect((caught as ConfigError).message).toMatch(new RegExp(`^${name} `));
  });
});
