/**
 * @module The ordered list of migrations. To change the schema, add a file `mNNNName.ts` exporting
 * one `Migration` with the next id and append it here; never edit a released migration.
 */
import type { Migration } from './migration.js';
import { m001Core } from './m001Core.js';
import { m002Webhooks } from './m002Webhooks.js';
import { m003OrderedDelivery } from './m003OrderedDelivery.js';
import { m004MessageTemplates } from './m004MessageTemplates.js';
import { m005Retention } from './m005Retention.js';
import { m006RecipientPages } from './m006RecipientPages.js';
import { m007SmsReplies } from './m007SmsReplies.js';
import { m008Operations } from './m008Operations.js';
import { m009ScaleOut } from './m009ScaleOut.js';
import { m010StatsRollups } from './m010StatsRollups.js';
import { m011LeanDeliveryIndexes } from './m011LeanDeliveryIndexes.js';
import { m012SucceededAttemptInRow } from './m012SucceededAttemptInRow.js';
import { m013ErasureScrubs } from './m013ErasureScrubs.js';

export type { Migration } from './migration.js';

/** Every migration, in id order. */
export const migrations: readonly Migration[] = [
  m001Core,
  m002Webhooks,
  m003OrderedDelivery,
  m004MessageTemplates,
  m005Retention,
  m006RecipientPages,
  m007SmsReplies,
  m008Operations,
  m009ScaleOut,
  m010StatsRollups,
  m011LeanDeliveryIndexes,
  m012SucceededAttemptInRow,
  m013ErasureScrubs,
];
