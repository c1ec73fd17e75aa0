/**
 * @module Webhook settings routes (under `/api`): `GET /webhooks`, `PUT /webhooks`,
 * `POST /webhooks/test` and `POST /webhooks/rotate`, thin over the webhooks part's settings service.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { WebhookSettings } from '../../webhooks/index.js';
import { parseAdminInput } from '../admin/parseAdminInput.js';
import { asApiError } from './apiInput.js';

const urlOrNull = z.string().max(4096).nullable();

/** `PUT /webhooks`: `{ common?: url | null, events?: { [type]: url | null } }`. */
export const putWebhooksSchema = z.strictObject({
  common: urlOrNull.optional(),
  events: z.record(z.string(), urlOrNull).optional(),
});

/** `POST /webhooks/test`: `{ url, event? }` (no event: the common URL, every sample). */
export const testWebhookSchema = z.strictObject({
  url: z.string().max(4096),
  event: z.string().optional(),
});

/** `POST /webhooks/rotate`: `{ slot: "common" | "<event type>" }`. */
export const rotateWebhookSchema = z.strictObject({ slot: z.string() });

/** The webhook settings routes. */
export function webhooksRoutes(settings: WebhookSettings): Router {
  const router = Router();
  const run = <T>(promise: Promise<T>): Promise<T> =>
    promise.catch((error: unknown) => Promise.reject(asApiError(error)));

  router.get('/webhooks', async (_req, res) => {
    res.json(await run(settings.get()));
  });

  router.put('/webhooks', async (req, res) => {
    const patch = parseAdminInput(putWebhooksSchema, req.body);
    res.json(await run(settings.save(patch)));
  });

  // 200 whatever the target answered: the test worked even when the target did not.
  router.post('/webhooks/test', async (req, res) => {
    const input = parseAdminInput(testWebhookSchema, req.body);
    res.json(await run(settings.test(input)));
  });

  router.post('/webhooks/rotate', async (req, res) => {
    const { slot } = parseAdminInput(rotateWebhookSchema, req.body);
    res.json(await run(settings.rotateSecret(slot)));
  });

  return router;
}
