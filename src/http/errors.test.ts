/** @module Unit tests of the one error → HTTP mapping. */
import { describe, expect, test } from 'vitest';
import { StoreError } from '../store/index.js';
import { SubscriptionError } from '../subscriptions/index.js';
import { HttpError, toHttpProblem } from './errors.js';

describe('toHttpProblem', () => {
  test('subscription and store codes: API gets message and field, pages get no detail', () => {
    const error = new SubscriptionError('invalid_input', 'email must be an e-mail address', {
      field: 'email',
    });
    expect(toHttpProblem(error, 'api')).toEqual({
      status: 422,
      code: 'invalid_input',
      message: 'email must be an e-mail address',
      field: 'email',
      unexpected: false,
    });
    const page = toHttpProblem(error, 'page');
    expect(page.status).toBe(400);
    expect(page.message).not.toContain('e-mail address');
    expect(page.field).toBeUndefined();
    expect(
      toHttpProblem(new SubscriptionError('contact_not_found', 'contact 3 does not exist'), 'api').status,
    ).toBe(404);
    expect(toHttpProblem(new SubscriptionError('contact_not_found', 'x'), 'page').status).toBe(410);
    expect(toHttpProblem(new StoreError('email_taken', 'taken', { field: 'email' }), 'api').status).toBe(409);
    expect(toHttpProblem(new StoreError('unavailable', 'pool down'), 'api')).toMatchObject({
      status: 503,
      message: 'the service is temporarily unavailable',
    });
  });

  test('body-parser failures by type', () => {
    const bodyError = (status: number, type: string) =>
      Object.assign(new Error('raw detail'), { status, type, expose: true });
    expect(toHttpProblem(bodyError(413, 'entity.too.large'), 'api')).toMatchObject({
      status: 413,
      code: 'payload_too_large',
    });
    expect(toHttpProblem(bodyError(400, 'entity.parse.failed'), 'api')).toMatchObject({
      status: 400,
      code: 'malformed_json',
      message: 'the request is not valid',
    });
    expect(toHttpProblem(bodyError(415, 'encoding.unsupported'), 'page').status).toBe(415);
    expect(toHttpProblem(bodyError(400, 'whatever'), 'page').status).toBe(400);
  });

  test('unknown errors are a 500 without detail; HttpError carries its status and headers', () => {
    const problem = toHttpProblem(new Error('SQLITE_CORRUPT at /secret/path'), 'api');
    expect(problem).toEqual({ status: 500, code: 'internal', message: 'internal error', unexpected: true });
    expect(toHttpProblem('a string', 'page')).toMatchObject({ status: 500, unexpected: true });
    expect(toHttpProblem(new StoreError('migration_failed', 'm002 failed'), 'api')).toMatchObject({
      status: 500,
      code: 'internal',
    });
    const teapot = new HttpError('unauthorized', 'missing bearer token', {
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
    expect(toHttpProblem(teapot, 'api')).toMatchObject({
      status: 401,
      code: 'unauthorized',
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
  });
});
