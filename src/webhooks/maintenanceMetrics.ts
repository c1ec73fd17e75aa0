/**
 * @module `/metrics` gauge of the database maintenance unsub relies on: on PostgreSQL, whether
 * autovacuum looks after its tables (`databaseMaintenance`). Without it pruned rows never give
 * their space back and the tables' statistics never refresh, so dispatch slows down as the history
 * grows (docs/postgres-dispatch.md, eighth round). The retention job logs it once at start and the
 * console shows it; the gauge is for the alert that a log line cannot carry. Not registered on
 * SQLite, where it does not apply.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Store } from '../store/index.js';

/** Registers `unsub_database_autovacuum` (1 on, 0 off) in `registry`; read at each scrape. */
export function registerMaintenanceMetrics(
  registry: Registry,
  store: Pick<Store, 'databaseMaintenance' | 'capabilities'>,
): void {
  if (store.capabilities.name !== 'postgres') return;
  new Gauge({
    name: 'unsub_database_autovacuum',
    help: "1 when PostgreSQL's autovacuum looks after unsub's tables, 0 when it is off (pruned space is never reused, statistics go stale).",
    registers: [registry],
    async collect() {
      const { autovacuum } = await store.databaseMaintenance();
      this.set(autovacuum === false ? 0 : 1);
    },
  });
}
