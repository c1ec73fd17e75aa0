/**
 * @module The store part: the `Store` interface of domain verbs, `openStore` (SQLite or PostgreSQL,
 * migrations applied) and the store's error. Other parts import only this entry.
 */
export * from './types.js';
export * from './templatesTypes.js';
export type { LinkUnsubscribesStore } from './linkUnsubscribesTypes.js';
export type * from './retentionTypes.js';
export type { OutboxSignalReach, OutboxSignalStore } from './outboxSignalTypes.js';
export { StoreError, type StoreErrorCode } from './storeError.js';
export { openStore, isPostgresUrl, redactUrl, defaultSqlitePath } from './openStore.js';
export {
  type SqlExecutor,
  type SqlSession,
  type SqlValue,
  type SqlRow,
  placeholders,
} from './sqlExecutor.js';
export { migrations, type Migration } from './migrations/index.js';
export { runMigrations } from './runMigrations.js';
export { createSqlStore } from './createSqlStore.js';
export { outboxEvent } from './outboxEvent.js';
export { vacuumDatabase, type VacuumReport } from './vacuumDatabase.js';
export { finishScrub, type FinishScrubOptions } from './finishScrub.js';
