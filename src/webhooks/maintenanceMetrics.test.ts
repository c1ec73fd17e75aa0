/** @module The autovacuum gauge: 1 or 0 from the store at each scrape, on PostgreSQL only. */
import { Registry } from 'prom-client';
import { expect, test } from 'vitest';
import type { BackendCapabilities } from '../store/index.js';
import { registerMaintenanceMetrics } from './maintenanceMetrics.js';

const capabilities = (name: BackendCapabilities['name']) => ({ name }) as BackendCapabilities;

test('PostgreSQL: the gauge follows the server, read at each scrape', async () => {
  let autovacuum: boolean | null = true;
  const registry = new Registry();
  registerMaintenanceMetrics(registry, {
    capabilities: capabilities('postgres'),
    databaseMaintenance: async () => ({ autovacuum }),
  });
  expect(await registry.metrics()).toContain('unsub_database_autovacuum 1');
  autovacuum = false;
  expect(await registry.metrics()).toContain('unsub_database_autovacuum 0');
});

test('SQLite: no such gauge', async () => {
  const registry = new Registry();
  registerMaintenanceMetrics(registry, {
    capabilities: capabilities('sqlite'),
    databaseMaintenance: async () => ({ autovacuum: null }),
  });
  expect(await registry.metrics()).not.toContain('unsub_database_autovacuum');
});
