/**
 * @module The retention period in force: the console's stored setting when there is one, else
 * `UNSUB_RETENTION_DAYS`. Read by the pruner at every pass, so a change applies without a restart.
 */
import type { Store } from '../store/index.js';

/** The settings key of the console's retention period (a number of days). */
export const retentionSettingKey = 'retention.days';

/** Smallest and largest retention accepted from the console (the same bounds as the variable). */
export const retentionDaysBounds = { min: 0.0001, max: 36_500 } as const;

/** The retention period in days: the stored setting if valid, else `fallback`. */
export async function readRetentionDays(
  store: Pick<Store, 'getSetting'>,
  fallback: number,
): Promise<{ days: number; fromSetting: boolean }> {
  const stored = await store.getSetting(retentionSettingKey);
  if (
    typeof stored === 'number' &&
    Number.isFinite(stored) &&
    stored >= retentionDaysBounds.min &&
    stored <= retentionDaysBounds.max
  ) {
    return { days: stored, fromSetting: true };
  }
  return { days: fallback, fromSetting: false };
}
