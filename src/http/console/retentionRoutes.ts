/**
 * @module Settings ➔ Retention: shows the retention period in force (the stored setting, else
 * `UNSUB_RETENTION_DAYS`) and saves a new one; the pruning job reads it at every pass. Beside it,
 * what the page cannot change: the audit log's period (`UNSUB_AUDIT_RETENTION_DAYS`), and a
 * warning when PostgreSQL's autovacuum does not look after unsub's tables (`databaseMaintenance`).
 */
import { Router } from 'express';
import { readRetentionDays, retentionDaysBounds, retentionSettingKey } from '../../webhooks/index.js';
import { methodNotAllowed } from '../errors.js';
import {
  field,
  queryParam,
  redirectTo,
  requireForm,
  requirePage,
  sendPage,
  i18nOf,
  say,
  type ConsoleContext,
} from './consoleContext.js';

/** A bound as the locale writes it, without grouping (`0.0001`, `36500`; Russian `0,0001`). */
function plainNumber(locale: string, value: number): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 6, useGrouping: false }).format(value);
}

/**
 * The retention settings routes; `envDays` is `UNSUB_RETENTION_DAYS` (the fallback), `auditDays`
 * `UNSUB_AUDIT_RETENTION_DAYS` (shown only).
 */
export function retentionRoutes(context: ConsoleContext, envDays: number, auditDays: number): Router {
  const router = Router();
  const { store } = context;

  const render = async (
    res: Parameters<typeof sendPage>[1],
    extra: { saved?: boolean; error?: string; typed?: string },
    status = 200,
  ) => {
    const [current, maintenance] = await Promise.all([
      readRetentionDays(store, envDays),
      store.databaseMaintenance().catch(() => ({ autovacuum: null })),
    ]);
    sendPage(
      context,
      res,
      'retention',
      { title: 'console.retention.title', section: 'retention' },
      {
        days: current.days,
        fromSetting: current.fromSetting,
        envDays,
        auditDays,
        withoutAutovacuum: maintenance.autovacuum === false,
        form: { days: extra.typed ?? (current.fromSetting ? String(current.days) : '') },
        saved: extra.saved,
        error: extra.error,
      },
      status,
    );
  };

  router
    .route('/settings/retention')
    .get(requirePage(context), async (req, res) => {
      await render(res, { saved: queryParam(req, 'saved') === '1' });
    })
    .post(...requireForm(context, '/settings/retention'), async (req, res) => {
      const typed = field(req, 'days').trim();
      if (typed === '') {
        await store.deleteSetting(retentionSettingKey);
        redirectTo(context, res, '/settings/retention?saved=1');
        return;
      }
      const days = Number(typed.replace(',', '.'));
      if (!Number.isFinite(days) || days < retentionDaysBounds.min || days > retentionDaysBounds.max) {
        await render(
          res,
          {
            typed,
            error: say(context, res, 'console.retention.error', {
              min: plainNumber(i18nOf(context, res).locale, retentionDaysBounds.min),
              max: plainNumber(i18nOf(context, res).locale, retentionDaysBounds.max),
            }),
          },
          422,
        );
        return;
      }
      await store.setSetting(retentionSettingKey, days, context.now());
      redirectTo(context, res, '/settings/retention?saved=1');
    })
    .all(methodNotAllowed(['GET', 'HEAD', 'POST']));

  return router;
}
