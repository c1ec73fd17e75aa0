/**
 * @module Deliveries: the delivery log, newest first, filterable by event type, endpoint and status
 * and paginated by id (`before`); one delivery with its body and attempts; Retry one; Replay the
 * failed (and disabled) deliveries of an endpoint created in a time window. Straight store verbs.
 */
import { Router, type Request, type Response } from 'express';
import { eventTypes, isEventType } from '../../events/index.js';
import type { Translator } from '../../i18n/index.js';
import {
  deliveryStatuses,
  type Delivery,
  type DeliveryStatus,
  type WebhookEndpoint,
} from '../../store/index.js';
import { methodNotAllowed } from '../errors.js';
import {
  field,
  parseId,
  queryParam,
  redirectTo,
  requireForm,
  requirePage,
  sendNotFound,
  sendPage,
  i18nOf,
  say,
  type ConsoleContext,
} from './consoleContext.js';
import { formatTime } from './consoleViews.js';

/** Deliveries per page. */
export const deliveriesPageSize = 50;

/** `2025-03-14T09:26` (a `datetime-local` value, read as UTC) → ms, or undefined. */
export function parseUtcDateTime(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(value)) return undefined;
  const ms = Date.parse(`${value}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** ms → a `datetime-local` value in UTC (minutes). */
export function utcDateTimeValue(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

function isStatus(value: string): value is DeliveryStatus {
  return (deliveryStatuses as readonly string[]).includes(value);
}

/** A readable name of an endpoint: its slot and URL, and whether it is removed or disabled. */
function endpointLabel(i18n: Translator, endpoint: WebhookEndpoint): string {
  const label = i18n.t('console.endpoint.label', {
    slot: endpoint.eventType ?? i18n.t('console.endpoint.common'),
    url: endpoint.url,
  });
  if (endpoint.removedAt !== null) return i18n.t('console.endpoint.removed', { label });
  if (endpoint.disabledAt !== null) return i18n.t('console.endpoint.disabled', { label });
  return label;
}

/** The query of a list page, validated; unknown values are reported, not silently dropped. */
interface ListQuery {
  event?: string;
  endpointId?: number;
  status?: DeliveryStatus;
  beforeId?: number;
  problems: string[];
}

function listQuery(req: Request, i18n: Translator): ListQuery {
  const query: ListQuery = { problems: [] };
  const event = queryParam(req, 'event');
  if (event !== '') {
    if (isEventType(event)) query.event = event;
    else query.problems.push(i18n.t('console.deliveries.problem.event', { value: event }));
  }
  const endpoint = queryParam(req, 'endpoint');
  if (endpoint !== '') {
    query.endpointId = parseId(endpoint);
    if (query.endpointId === undefined) query.problems.push(i18n.t('console.deliveries.problem.endpoint'));
  }
  const status = queryParam(req, 'status');
  if (status !== '') {
    if (isStatus(status)) query.status = status;
    else
      query.problems.push(i18n.t('console.deliveries.problem.status', { list: deliveryStatuses.join(', ') }));
  }
  const before = queryParam(req, 'before');
  if (before !== '') query.beforeId = parseId(before);
  return query;
}

/** The delivery routes. */
export function deliveriesRoutes(context: ConsoleContext): Router {
  const router = Router();
  const { store } = context;

  /** Labels of the endpoints a page names, removed ones included. */
  const labelsFor = async (
    i18n: Translator,
    deliveries: readonly Delivery[],
    live: readonly WebhookEndpoint[],
  ) => {
    const labels = new Map(live.map((endpoint) => [endpoint.id, endpointLabel(i18n, endpoint)]));
    for (const id of new Set(deliveries.map((delivery) => delivery.endpointId))) {
      if (labels.has(id)) continue;
      const endpoint = await store.getEndpoint(id);
      labels.set(id, endpoint ? endpointLabel(i18n, endpoint) : i18n.t('console.endpoint.unknown', { id }));
    }
    return labels;
  };

  const renderList = async (
    req: Request,
    res: Response,
    extra: { replayError?: string; replay?: { endpointId?: number; from: string; to: string } } = {},
    status = 200,
  ) => {
    const i18n = i18nOf(context, res);
    const query = listQuery(req, i18n);
    const endpoints = await store.listEndpoints();
    const page = await store.listDeliveries({
      ...(query.event ? { eventType: query.event } : {}),
      ...(query.endpointId ? { endpointId: query.endpointId } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(query.beforeId ? { beforeId: query.beforeId } : {}),
      limit: deliveriesPageSize + 1,
    });
    const shown = page.slice(0, deliveriesPageSize);
    const labels = await labelsFor(i18n, shown, endpoints);
    const last = shown.at(-1);
    const params = new URLSearchParams();
    if (query.event) params.set('event', query.event);
    if (query.endpointId) params.set('endpoint', String(query.endpointId));
    if (query.status) params.set('status', query.status);
    const filtered = params.size > 0;
    const firstPage = `/deliveries${filtered ? `?${params}` : ''}`;
    if (page.length > deliveriesPageSize && last) params.set('before', String(last.id));
    const at = context.now();
    const replayed = queryParam(req, 'replayed');
    sendPage(
      context,
      res,
      'deliveries',
      { title: 'console.deliveries.title', section: 'deliveries' },
      {
        deliveries: shown.map((delivery) => ({
          ...delivery,
          endpoint: labels.get(delivery.endpointId),
          statusLabel: i18n.t(`console.status.${delivery.status}`),
          lastResult:
            delivery.lastStatus !== null ? `HTTP ${delivery.lastStatus}` : (delivery.lastError ?? ''),
          when: formatTime(delivery.createdAt),
        })),
        events: eventTypes.map((type) => ({ value: type, selected: type === query.event })),
        statuses: deliveryStatuses.map((value) => ({
          value,
          label: i18n.t(`console.status.${value}`),
          selected: value === query.status,
        })),
        endpoints: endpoints.map((endpoint) => ({
          id: endpoint.id,
          label: endpointLabel(i18n, endpoint),
          selected: endpoint.id === query.endpointId,
          replaySelected: endpoint.id === (extra.replay?.endpointId ?? query.endpointId),
        })),
        problems: query.problems,
        filtered,
        paged: query.beforeId !== undefined,
        firstPage,
        nextPage: page.length > deliveriesPageSize ? `/deliveries?${params}` : undefined,
        replayed: /^\d{1,9}$/.test(replayed) ? Number(replayed) : undefined,
        replayError: extra.replayError,
        replayFrom: extra.replay?.from ?? utcDateTimeValue(at - 24 * 60 * 60 * 1000),
        replayTo: extra.replay?.to ?? utcDateTimeValue(at + 60 * 1000),
      },
      status,
    );
  };

  router.get('/deliveries', requirePage(context), (req, res) => renderList(req, res));

  router
    .route('/deliveries/replay')
    .post(...requireForm(context, '/deliveries'), async (req, res) => {
      const endpointId = parseId(field(req, 'endpoint'));
      const fromText = field(req, 'from');
      const toText = field(req, 'to');
      const from = parseUtcDateTime(fromText);
      const to = parseUtcDateTime(toText);
      const problem =
        endpointId === undefined || !(await store.getEndpoint(endpointId))
          ? say(context, res, 'console.deliveries.replayError.endpoint')
          : from === undefined || to === undefined
            ? say(context, res, 'console.deliveries.replayError.window')
            : from >= to
              ? say(context, res, 'console.deliveries.replayError.order')
              : undefined;
      if (problem !== undefined || endpointId === undefined || from === undefined || to === undefined) {
        await renderList(
          req,
          res,
          {
            replayError: problem,
            replay: { ...(endpointId ? { endpointId } : {}), from: fromText, to: toText },
          },
          422,
        );
        return;
      }
      const count = await store.replayDeliveries({ endpointId, from, to, at: context.now() });
      if (count > 0) context.wake();
      redirectTo(context, res, `/deliveries?endpoint=${endpointId}&replayed=${count}`);
    })
    .all(methodNotAllowed(['POST']));

  router.get('/deliveries/:id', requirePage(context), async (req, res) => {
    const id = parseId(req.params.id);
    const delivery = id === undefined ? undefined : await store.getDelivery(id);
    if (!delivery) return sendNotFound(context, res, 'deliveries', 'delivery', req.params.id);
    const endpoint = await store.getEndpoint(delivery.endpointId);
    let body = delivery.body;
    try {
      body = JSON.stringify(JSON.parse(delivery.body), null, 2);
    } catch {
      // Shown as stored.
    }
    const retried = queryParam(req, 'retried');
    const i18n = i18nOf(context, res);
    sendPage(
      context,
      res,
      'delivery',
      { title: ['console.delivery.title', { id: delivery.id }], section: 'deliveries' },
      {
        delivery,
        endpoint: endpoint
          ? endpointLabel(i18n, endpoint)
          : i18n.t('console.endpoint.unknown', { id: delivery.endpointId }),
        statusLabel: i18n.t(`console.status.${delivery.status}`),
        body,
        attempts: delivery.attemptLog.map((attempt, index) => ({ ...attempt, number: index + 1 })),
        canRetry: delivery.status !== 'delivering',
        retried: retried === '1',
        busy: retried === 'busy',
      },
    );
  });

  router
    .route('/deliveries/:id/retry')
    .post(
      ...requireForm(context, (req) => `/deliveries/${parseId(req.params.id) ?? ''}`),
      async (req, res) => {
        const id = parseId(req.params.id);
        const after = id === undefined ? undefined : await store.retryDelivery(id, context.now());
        if (!after || id === undefined)
          return sendNotFound(context, res, 'deliveries', 'delivery', req.params.id);
        if (after.status !== 'delivering') context.wake();
        redirectTo(context, res, `/deliveries/${id}?retried=${after.status === 'delivering' ? 'busy' : '1'}`);
      },
    )
    .all(methodNotAllowed(['POST']));

  return router;
}
