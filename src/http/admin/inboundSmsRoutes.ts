/**
 * @module Admin API routes for SMS replies: `POST /inbound/sms` (the body a messaging gateway
 * forwards: `{ from, to?, text, receivedAt? }`) applies STOP/START for the contacts with that phone
 * and answers what happened with the confirmation text to send back; `GET`/`PUT
 * /settings/sms-replies` read and replace the confirmation texts per locale.
 */
import { Router } from 'express';
import type { Store } from '../../store/index.js';
import { inboundSmsSchema, type Subscriptions } from '../../subscriptions/index.js';
import {
  readSmsReplyTexts,
  smsReplyText,
  smsReplyTextsSchema,
  smsReplyTextsSettingKey,
} from '../smsReplyTexts.js';
import { groupJson } from './adminJson.js';
import { asRequestError, parseAdminInput } from './parseAdminInput.js';

/** The SMS reply routes (mounted on the admin router). */
export function inboundSmsRoutes(store: Store, subscriptions: Subscriptions, now: () => number): Router {
  const router = Router();

  router.post('/inbound/sms', async (req, res) => {
    const input = parseAdminInput(inboundSmsSchema.strict(), req.body);
    const result = await subscriptions
      .replyToSms(input)
      .catch((error: unknown) => Promise.reject(asRequestError(error, {})));
    // An unknown phone: 200 and nothing stored, so the gateway does not retry.
    if (!result.matched) return void res.json({ matched: false });
    const reply =
      result.command === 'none'
        ? null
        : smsReplyText(await readSmsReplyTexts(store), result.locale, result.command);
    res.json({
      matched: true,
      command: result.command,
      locale: result.locale,
      reply,
      contacts: result.contacts.map((contact) => ({
        id: contact.id,
        left: contact.left.map(groupJson),
        joined: contact.joined.map(groupJson),
      })),
    });
  });

  router.get('/settings/sms-replies', async (_req, res) => {
    res.json(await readSmsReplyTexts(store));
  });

  router.put('/settings/sms-replies', async (req, res) => {
    const texts = parseAdminInput(smsReplyTextsSchema, req.body);
    await store.setSetting(smsReplyTextsSettingKey, JSON.parse(JSON.stringify(texts)), now());
    res.json(texts);
  });

  return router;
}
