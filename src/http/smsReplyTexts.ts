/**
 * @module The confirmation texts of SMS replies, per locale: what a messaging gateway sends back
 * after a STOP or START. Stored as the page setting `pages.smsReplies`, beside the page branding
 * (its own key, so saving the branding form never drops it); missing texts take the defaults.
 */
import { z } from 'zod';
import type { Store } from '../store/index.js';

/** The setting key of the texts. */
export const smsReplyTextsSettingKey = 'pages.smsReplies';

/** Built-in texts (kept within one SMS of each alphabet: 160 GSM-7 / 70 UCS-2 characters a segment). */
export const defaultSmsReplyTexts: Readonly<Record<'en' | 'ru', { stop: string; start: string }>> = {
  en: {
    stop: 'You are unsubscribed and will get no more SMS from us. Reply START to subscribe again.',
    start: 'You are subscribed again. Reply STOP to unsubscribe.',
  },
  ru: {
    stop: 'Вы отписались от SMS. Чтобы подписаться снова, ответьте СТАРТ.',
    start: 'Вы снова подписаны. Чтобы отписаться, ответьте СТОП.',
  },
};

const replyText = z
  .string()
  .trim()
  .min(1, 'must not be empty (leave it out for the default)')
  .max(480, 'must be at most 480 characters');

/** `{ "<locale>": { stop?, start? } }`, e.g. `{ "ru": { "stop": "…" } }`. */
export const smsReplyTextsSchema = z.record(
  z.string().regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, 'locales are language tags such as en, ru or pt-BR'),
  z.strictObject({ stop: replyText.optional(), start: replyText.optional() }),
);

/** The stored texts (see `smsReplyTextsSchema`). */
export type SmsReplyTexts = z.output<typeof smsReplyTextsSchema>;

/** Reads the stored texts; a missing or no longer valid value is `{}` (the defaults). */
export async function readSmsReplyTexts(store: Pick<Store, 'getSetting'>): Promise<SmsReplyTexts> {
  const parsed = smsReplyTextsSchema.safeParse(await store.getSetting(smsReplyTextsSettingKey));
  return parsed.success ? parsed.data : {};
}

/** The confirmation of `command` in `locale`: the sender's text, else the default. */
export function smsReplyText(texts: SmsReplyTexts, locale: 'en' | 'ru', command: 'stop' | 'start'): string {
  return texts[locale]?.[command] ?? defaultSmsReplyTexts[locale][command];
}
