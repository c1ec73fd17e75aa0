/**
 * @module SMS replies: which command a reply is (STOP-words, START-words), the phone spellings that
 * count as the sender, and the input schema of an inbound SMS as a messaging gateway forwards it.
 *
 * A command word must be alone in the message; case, spaces (`STOP ALL`) and a trailing `.` or `!`
 * do not matter. Latin letters that look like Cyrillic ones (and back) count as the same letter, so
 * `СТОП` typed with a Latin `C`, `T` or `O` still stops. The reply's locale is `ru` when it has any
 * Cyrillic letter, else `en` (the confirmation text is chosen by it).
 */
import { z } from 'zod';
import type { SmsCommand } from '../store/index.js';
import { phoneSchema } from './inputSchemas.js';

/** Words that stop every SMS group, and words that undo a STOP. */
export const smsStopWords = [
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'СТОП',
  'ОТПИСАТЬСЯ',
] as const;
export const smsStartWords = ['START', 'СТАРТ'] as const;

/** Cyrillic letters written the same as a Latin capital: both spellings fold to the Latin one. */
const lookalikes: Record<string, string> = {
  А: 'A',
  В: 'B',
  Е: 'E',
  К: 'K',
  М: 'M',
  Н: 'H',
  О: 'O',
  Р: 'P',
  С: 'C',
  Т: 'T',
  Х: 'X',
  У: 'Y',
};

/** The comparison form of a word: upper case, no spaces, lookalikes folded, trailing . and ! dropped. */
function foldWord(text: string): string {
  const upper = text
    .normalize('NFC')
    .toUpperCase()
    .replace(/[\s\u200b]+/g, '')
    .replace(/[.!]+$/, '');
  let folded = '';
  for (const char of upper) folded += lookalikes[char] ?? char;
  return folded;
}

const stopKeys = new Set(smsStopWords.map(foldWord));
const startKeys = new Set(smsStartWords.map(foldWord));

/** The command of a reply and the locale of its confirmation. */
export function smsCommandOf(text: string): { command: SmsCommand; locale: 'en' | 'ru' } {
  const key = foldWord(text);
  const command: SmsCommand = stopKeys.has(key) ? 'stop' : startKeys.has(key) ? 'start' : 'none';
  return { command, locale: /[\u0400-\u04ff]/.test(text) ? 'ru' : 'en' };
}

/**
 * Spellings of a normalised phone (`phoneSchema`) that count as the same number: with and without
 * the leading `+`, and `00…` as `+…` (E.164 digits compared; national trunk prefixes such as a
 * Russian leading 8 are not guessed).
 */
export function phoneSpellings(phone: string): string[] {
  let digits = phone.startsWith('+') ? phone.slice(1) : phone;
  if (digits.startsWith('00')) digits = digits.slice(2);
  return [...new Set([`+${digits}`, digits, `00${digits}`])];
}

/** An inbound SMS: `{ from, to?, text, receivedAt? }` (`receivedAt`: ISO 8601 or ms since the epoch). */
export const inboundSmsSchema = z.object({
  from: phoneSchema,
  to: z.string().trim().max(64, 'must be at most 64 characters').nullish(),
  text: z.string({ error: 'must be the text of the message' }).max(1_600, 'must be at most 1600 characters'),
  receivedAt: z
    .union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()], {
      error: 'must be an ISO 8601 date-time or milliseconds since the epoch',
    })
    .optional(),
});
