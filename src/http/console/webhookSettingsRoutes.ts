/**
 * @module Settings ➔ Webhooks: one row per event type of the catalog plus the common URL, each with
 * a URL field, Test, Save (enabled only once that exact URL passed a test), Remove, the signing
 * secret on request and Rotate. Everything goes through `webhookSettings`, the same service the
 * `/api/webhooks` routes use, so the server enforces test-before-save here too (409 on the page).
 *
 * Test works both ways: the progressive script POSTs the row with `Accept: application/json` and
 * shows the result inline; without script the form posts and the page re-renders with the result.
 */
import { Router, type Request, type Response } from 'express';
import { UnsubError } from '../../errors/index.js';
import { eventTypes } from '../../events/index.js';
import { sourceLocale, type Translator } from '../../i18n/index.js';
import type {
  WebhookEndpointSettings,
  WebhookSettingsView,
  WebhookTestResult,
} from '../../webhooks/index.js';
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
  setConsoleHeaders,
  wantsJson,
  type ConsoleContext,
} from './consoleContext.js';

/** A slot as the forms name it: `common` or an event type. */
type SlotName = 'common' | (typeof eventTypes)[number];

const slotNames: readonly SlotName[] = ['common', ...eventTypes];

/** The row anchor of a slot (`slot-mailing-group-unsubscribe`). */
export function slotAnchor(slot: string): string {
  return `slot-${slot.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

/** A test result as the page and the script show it. */
export interface TestResultJson {
  url: string;
  ok: boolean;
  status: number | null;
  durationMs: number;
  responseExcerpt: string;
  error: string | null;
  /** The exact body (or bodies, for the common URL) that was sent, as pretty JSON. */
  sent: string;
  /** "Passed: HTTP 204 in 12 ms" in the page's language (the script shows it as it is). */
  verdict: string;
}

function resultJson(i18n: Translator, url: string, result: WebhookTestResult): TestResultJson {
  const status =
    result.status === null
      ? i18n.t('console.webhooks.noResponse')
      : i18n.t('console.webhooks.httpStatus', { status: result.status });
  return {
    url,
    verdict: i18n.t(result.ok ? 'console.webhooks.passed' : 'console.webhooks.failed', {
      status,
      ms: result.duration_ms,
    }),
    ok: result.ok,
    status: result.status,
    durationMs: result.duration_ms,
    responseExcerpt: result.response_excerpt,
    error: result.error ? `${result.error.code}: ${result.error.message}` : null,
    sent: JSON.stringify(result.sent, null, 2),
  };
}

/** What one row shows besides the saved endpoint. */
interface RowState {
  value?: string;
  result?: TestResultJson;
  error?: string;
  notice?: string;
}

function slotOf(value: string): SlotName | undefined {
  return slotNames.find((slot) => slot === value);
}

function endpointOf(view: WebhookSettingsView, slot: SlotName): WebhookEndpointSettings | null {
  return slot === 'common' ? view.common : (view.events[slot] ?? null);
}

/** The HTTP status of a settings error shown on the page (the service's own table, by code). */
function statusOf(error: UnsubError<string>): number {
  return error.code === 'url_not_tested' ? 409 : error.code === 'endpoint_not_found' ? 404 : 422;
}

/**
 * A settings error in the page's language. English shows the service's own message (it names the
 * URL and why, e.g. "has not been tested"); other languages say it by code.
 */
function settingsErrorText(i18n: Translator, error: UnsubError<string>): string {
  if (i18n.locale === sourceLocale) return error.message;
  if (error.code === 'url_not_tested' || error.code === 'invalid_url')
    return i18n.t(`console.webhooks.error.${error.code}`);
  return i18n.t('console.webhooks.error.other');
}

/** The settings routes. */
export function webhookSettingsRoutes(context: ConsoleContext): Router {
  const router = Router();
  const { webhookSettings } = context;

  const render = async (res: Response, states: Partial<Record<SlotName, RowState>>, status = 200) => {
    const view = await webhookSettings.get();
    const i18n = i18nOf(context, res);
    const rows = slotNames.map((slot) => {
      const endpoint = endpointOf(view, slot);
      const state = states[slot] ?? {};
      return {
        slot,
        anchor: slotAnchor(slot),
        label: slot === 'common' ? i18n.t('console.webhooks.commonLabel') : slot,
        sampleCount: eventTypes.length,
        common: slot === 'common',
        endpoint,
        usesCommon: slot !== 'common' && !endpoint && view.common !== null,
        value: state.value ?? endpoint?.url ?? '',
        result: state.result,
        error: state.error,
        notice: state.notice,
        // Without script, Save is usable right after a passed test of the URL now in the field.
        canSave: state.result?.ok === true && state.result.url === state.value,
      };
    });
    sendPage(
      context,
      res,
      'webhooks',
      { title: 'console.webhooks.title', section: 'webhooks' },
      { rows },
      status,
    );
  };

  /** The row's slot from the form, or a 400 page / JSON. */
  const formSlot = (req: Request, res: Response): SlotName | undefined => {
    const slot = slotOf(field(req, 'slot'));
    if (slot) return slot;
    const message = say(context, res, 'console.webhooks.badSlot');
    setConsoleHeaders(res);
    if (wantsJson(req)) res.status(400).json({ error: { code: 'invalid_input', message, field: 'slot' } });
    else {
      const heading = say(context, res, 'console.error.badForm');
      sendPage(context, res, 'error', { title: 'console.error.badForm' }, { heading, message }, 400);
    }
    return undefined;
  };

  /** The 303 back to the page with a notice on the slot's row (`?saved=common#slot-common`). */
  const backToRow = (res: Response, notice: 'saved' | 'removed' | 'rotated' | 'enabled', slot: SlotName) =>
    redirectTo(context, res, `/settings/webhooks?${notice}=${encodeURIComponent(slot)}#${slotAnchor(slot)}`);

  /** Re-renders the page with an error on the row, or rethrows what is not a settings error. */
  const showError = async (res: Response, slot: SlotName, value: string | undefined, error: unknown) => {
    if (!(error instanceof UnsubError) || error.field === undefined) throw error;
    const message = settingsErrorText(i18nOf(context, res), error);
    const state: RowState = value === undefined ? { error: message } : { value, error: message };
    await render(res, { [slot]: state }, statusOf(error));
  };

  router.get('/settings/webhooks', requirePage(context), async (req, res) => {
    const states: Partial<Record<SlotName, RowState>> = {};
    for (const param of ['saved', 'removed', 'rotated', 'enabled'] as const) {
      const slot = slotOf(queryParam(req, param));
      if (slot) states[slot] = { notice: say(context, res, `console.webhooks.notice.${param}`) };
    }
    await render(res, states);
  });

  router
    .route('/settings/webhooks/test')
    .post(...requireForm(context, '/settings/webhooks'), async (req, res) => {
      const slot = formSlot(req, res);
      if (!slot) return;
      const url = field(req, 'url').trim();
      let result: WebhookTestResult;
      try {
        result = await webhookSettings.test({ url, ...(slot === 'common' ? {} : { event: slot }) });
      } catch (error) {
        if (!(error instanceof UnsubError) || !wantsJson(req)) return showError(res, slot, url, error);
        setConsoleHeaders(res);
        const message = settingsErrorText(i18nOf(context, res), error);
        res.status(statusOf(error)).json({ error: { code: error.code, message } });
        return;
      }
      const json = resultJson(i18nOf(context, res), url, result);
      if (wantsJson(req)) {
        setConsoleHeaders(res);
        res.json(json);
        return;
      }
      await render(res, { [slot]: { value: url, result: json } });
    })
    .all(methodNotAllowed(['POST']));

  router
    .route('/settings/webhooks/save')
    .post(...requireForm(context, '/settings/webhooks'), async (req, res) => {
      const slot = formSlot(req, res);
      if (!slot) return;
      const url = field(req, 'url').trim();
      try {
        await webhookSettings.save(slot === 'common' ? { common: url } : { events: { [slot]: url } });
      } catch (error) {
        return showError(res, slot, url, error);
      }
      backToRow(res, 'saved', slot);
    })
    .all(methodNotAllowed(['POST']));

  router
    .route('/settings/webhooks/remove')
    .post(...requireForm(context, '/settings/webhooks'), async (req, res) => {
      const slot = formSlot(req, res);
      if (!slot) return;
      await webhookSettings.save(slot === 'common' ? { common: null } : { events: { [slot]: null } });
      backToRow(res, 'removed', slot);
    })
    .all(methodNotAllowed(['POST']));

  router
    .route('/settings/webhooks/rotate')
    .post(...requireForm(context, '/settings/webhooks'), async (req, res) => {
      const slot = formSlot(req, res);
      if (!slot) return;
      try {
        await webhookSettings.rotateSecret(slot);
      } catch (error) {
        return showError(res, slot, undefined, error);
      }
      backToRow(res, 'rotated', slot);
    })
    .all(methodNotAllowed(['POST']));

  router
    .route('/settings/webhooks/enable')
    .post(...requireForm(context, '/settings/webhooks'), async (req, res) => {
      const slot = formSlot(req, res);
      if (!slot) return;
      const endpoint = endpointOf(await webhookSettings.get(), slot);
      if (endpoint) {
        await context.store.enableEndpoint(endpoint.id, context.now());
        context.wake();
      }
      backToRow(res, 'enabled', slot);
    })
    .all(methodNotAllowed(['POST']));

  return router;
}
