/**
 * @module The shape of one numbered migration: the same change written once per backend.
 */
import type { BackendName } from '../types.js';

/** One schema change. Ids are unique, increasing and never reused or edited once released. */
export interface Migration {
  id: number;
  /** Short description, recorded in `schema_migrations`. */
  name: string;
  /** The DDL script per backend (several statements allowed). */
  sql: Record<BackendName, string>;
}
