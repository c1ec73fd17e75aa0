/**
 * @module The ordered list of migrations. To change the schema, add a file `mNNNName.ts` exporting
 * one `Migration` with the next id and append it here; never edit a released migration.
 */
import type { Migration } from './migration.js';
import { m001Core } from './m001Core.js';
import { m002Webhooks } from './m002Webhooks.js';
import { m009ScaleOut } from './m009ScaleOut.js';

export type { Migration } from './migration.js';

/** Every migration, in id order. */
export const migrations: readonly Migration[] = [m001Core, m002Webhooks, m009ScaleOut];
