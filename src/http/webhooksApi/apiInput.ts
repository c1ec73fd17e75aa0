/**
 * @module Input and error helpers of the webhooks API: path ids, ISO times, and the mapping of the
 * webhooks part's error codes to the statuses `http/errors.ts` answers with (through `HttpError`'s
 * explicit status, since its code table has no registration hook).
 */
import { z } from 'zod';
import { UnsubError } from '../../errors/index.js';
import { webhookSettingsErrorStatus, type WebhookSettingsErrorCode } from '../../webhooks/index.js';
import { HttpError } from '../errors.js';

/** Status per code of the webhooks API, beyond `http/errors.ts`'s table. */
export const webhooksApiStatus: Readonly<Record<string, number>> = {
  ...webhookSettingsErrorStatus,
  endpoint_not_found: 404,
  delivery_not_found: 404,
  delivery_in_flight: 409,
  invalid_event: 422,
};

/** A path id: a positive integer, else the same 404 as a missing resource. */
export function pathId(value: string | undefined, kind: 'delivery' | 'endpoint'): number {
  if (/^[1-9][0-9]{0,14}$/.test(value ?? '')) return Number(value);
  throw notFound(kind, value ?? '');
}

/** `delivery_not_found` / `endpoint_not_found` (404) for `id`. */
export function notFound(kind: 'delivery' | 'endpoint', id: number | string): HttpError {
  return new HttpError(
    `${kind}_not_found`,
    `there is no ${kind === 'endpoint' ? 'webhook endpoint' : kind} ${JSON.stringify(id)}`,
    {
      status: 404,
      field: 'id',
    },
  );
}

/** An ISO 8601 date-time with `Z` or an offset, as milliseconds. */
export const isoTimeSchema = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 time such as "2024-05-01T12:00:00Z"' })
  .transform((text) => Date.parse(text));

/**
 * The error as the API answers it: webhooks-part codes get their status (409 untested URL, 422 bad
 * input, 404 missing endpoint); everything else passes to `http/errors.ts` unchanged.
 */
export function asApiError(error: unknown): unknown {
  if (!(error instanceof UnsubError) || error instanceof HttpError) return error;
  const status = webhooksApiStatus[error.code as WebhookSettingsErrorCode];
  if (status === undefined) return error;
  return new HttpError(error.code, error.message, { status, field: error.field, cause: error });
}
