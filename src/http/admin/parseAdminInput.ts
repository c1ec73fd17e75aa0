/**
 * @module Validation of admin API input (bodies, query strings, path ids) with zod. The first
 * problem becomes an `invalid_input` error naming the request field at fault — including a misspelt
 * key (`groupIDs`), which the strict schemas report rather than silently ignore.
 *
 * Why 422 here: `http/errors.ts` maps `invalid_input` to 400 (the status pages use), while the admin
 * API answers well-formed JSON that fails validation with 422 Unprocessable Content, as API clients
 * expect; `HttpError`'s explicit status says so without a second code table.
 */
import type { z } from 'zod';
import { UnsubError } from '../../errors/index.js';
import { SubscriptionError } from '../../subscriptions/index.js';
import { HttpError } from '../errors.js';

/** Codes of input the server understood but cannot apply: answered 422 on the admin API. */
const unprocessable = new Set(['invalid_input', 'channel_mismatch']);

/** An `invalid_input` error (422) naming `field`. */
export function invalidInput(field: string, message: string, cause?: unknown): HttpError {
  return new HttpError('invalid_input', message, { status: 422, field, cause });
}

/**
 * Parses `input` with `schema`.
 * @param where prefix for the field name (`query.` for query strings), empty for bodies.
 * @throws HttpError `invalid_input` (422) with `field` = the path of the first issue.
 */
export function parseAdminInput<S extends z.ZodType>(schema: S, input: unknown, where = ''): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    const field = where + [...issue.path.map(String), issue.keys[0] ?? ''].join('.');
    throw invalidInput(field, `${field} is not a known field`);
  }
  const path = issue?.path.map(String).join('.');
  const field = path ? where + path : where ? where.replace(/\.$/, '') : 'body';
  throw invalidInput(field, `${field} ${issue?.message ?? 'is invalid'}`);
}

/**
 * The numeric id in a path (`/contacts/:id`); a value that is not a positive integer names no
 * resource, so it gets the same 404 as a missing one.
 * @throws SubscriptionError `contact_not_found` / `group_not_found` (field `id`).
 */
export function pathId(value: string | undefined, kind: 'contact' | 'group'): number {
  const id = /^[1-9][0-9]{0,14}$/.test(value ?? '') ? Number(value) : undefined;
  if (id === undefined) {
    throw new SubscriptionError(`${kind}_not_found`, `there is no ${kind} ${JSON.stringify(value ?? '')}`, {
      field: 'id',
    });
  }
  return id;
}

/**
 * A subscription command's error as the admin API reports it: the field renamed from the
 * command's input name to the request's (`contactId` → `id`, …), and input errors as 422.
 */
export function asRequestError(error: unknown, names: Record<string, string>): unknown {
  if (!(error instanceof UnsubError)) return error;
  let field = error.field;
  const head = field?.split('.')[0] ?? '';
  const renamed = names[head];
  if (field !== undefined && renamed !== undefined) field = renamed + field.slice(head.length);
  const message =
    field !== error.field && error.field ? error.message.replace(error.field, field ?? '') : error.message;
  const status = unprocessable.has(error.code) ? 422 : undefined;
  if (status === undefined && field === error.field) return error;
  // Without an explicit status `http/errors.ts` maps the code as usual (404, 409, …).
  return new HttpError(error.code, message, { status, field, cause: error });
}
