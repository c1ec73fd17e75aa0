/**
 * @module Zod schemas of the subscription commands' inputs, exported so the admin API validates
 * request bodies with the same rules, plus `parseInput`, which turns the first problem into a
 * `SubscriptionError('invalid_input')` naming the field.
 */
import { z } from 'zod';
import { supportedLocales } from '../i18n/index.js';
import { SubscriptionError } from './subscriptionError.js';

/** `/^[A-Za-z0-9_.-]+$/`: the Latin system name of a group. */
export const systemNamePattern = /^[A-Za-z0-9_.-]+$/;

/**
 * A deliberately permissive address check (one @, no spaces, a dot in the domain): internationalised
 * addresses such as `имя@почта.рф` must pass; deliverability is the sending platform's business.
 */
export const emailSchema = z
  .string()
  .trim()
  .max(254, 'must be at most 254 characters')
  .regex(/^[^\s@]+@[^\s@]+\.[^\s@.]+$/, 'must be an e-mail address such as user@example.com');

/** A phone number; spaces, dashes and parentheses are removed (`+7 (912) 345-67-89` → `+79123456789`). */
export const phoneSchema = z
  .string()
  .trim()
  .transform((value) => value.replace(/[\s()-]/g, ''))
  .pipe(z.string().regex(/^\+?[0-9]{3,20}$/, 'must be a phone number: digits, optionally a leading +'));

/** A person's name part; blank becomes null. */
const namePart = z
  .string()
  .trim()
  .max(200, 'must be at most 200 characters')
  .transform((value) => (value === '' ? null : value));

/** Extra fields: a JSON object with short keys. */
export const extraSchema = z.record(
  z.string().min(1, 'names must not be empty').max(64, 'names must be at most 64 characters'),
  z.json(),
);

/** `email` or `sms`. */
export const channelSchema = z.enum(['email', 'sms'], { error: 'must be "email" or "sms"' });

/** A positive integer id. */
export const idSchema = z
  .number({ error: 'must be a number' })
  .int('must be an integer')
  .positive('must be positive');

/** A list of group ids. */
export const groupIdsSchema = z.array(idSchema, { error: 'must be a list of group ids' }).max(1_000);

/** Where a change came from: `link`, `one-click`, `manager`, `api`, `import`, … */
export const sourceSchema = z.string().trim().min(1, 'must not be empty').max(64);

/** Input of `createContact`. */
export const createContactSchema = z.object({
  email: emailSchema,
  phone: phoneSchema.nullish(),
  firstName: namePart.nullish(),
  lastName: namePart.nullish(),
  extra: extraSchema.optional(),
  groupIds: groupIdsSchema.optional(),
  source: sourceSchema.optional(),
});

/** Input of `updateContact` (fields present replace the stored ones; `extra` as a whole). */
export const contactPatchSchema = z.object({
  email: emailSchema.optional(),
  phone: phoneSchema.nullish(),
  firstName: namePart.nullish(),
  lastName: namePart.nullish(),
  extra: extraSchema.optional(),
});

/** A group's display names per supported locale (`{"ru": "Новости"}`), shown on the pages. */
export const groupNamesSchema = z.partialRecord(
  z.enum(supportedLocales, { error: `must be one of ${supportedLocales.join(', ')}` }),
  z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
);

/** Input of `createGroup`. */
export const createGroupSchema = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  systemName: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(64, 'must be at most 64 characters')
    .regex(systemNamePattern, 'must be Latin letters, digits, "_", "." or "-" (e.g. news_weekly)'),
  description: z.string().trim().max(2_000, 'must be at most 2000 characters').optional(),
  channel: channelSchema,
  names: groupNamesSchema.optional(),
});

/** Input of `unsubscribe`. */
export const unsubscribeSchema = z.object({
  contactId: idSchema,
  channel: channelSchema,
  groupIds: z.union([z.literal('all'), groupIdsSchema], { error: 'must be a list of group ids or "all"' }),
  source: sourceSchema,
  /** The link unsubscribing (a short hash of its token), so that link can undo exactly this. */
  unsubscribeRef: z.string().min(1).max(64).optional(),
});

/** The reasons the done page offers; `other` comes with free text. */
export const unsubscribeReasonCodes = ['too_many', 'not_relevant', 'never_signed_up', 'other'] as const;

/** Longest free-text reason. */
export const maxReasonLength = 500;

/** A contact's reason for leaving. */
export const unsubscribeReasonSchema = z
  .strictObject({
    code: z.enum(unsubscribeReasonCodes, { error: `must be one of ${unsubscribeReasonCodes.join(', ')}` }),
    text: z
      .string()
      .trim()
      .max(maxReasonLength, `must be at most ${maxReasonLength} characters`)
      .optional()
      .transform((text) => (text === '' ? undefined : text)),
  })
  .transform((reason) =>
    reason.code === 'other' && reason.text !== undefined
      ? { code: reason.code, text: reason.text }
      : { code: reason.code },
  );

/** Input of `subscribe`. */
export const subscribeSchema = z.object({
  contactId: idSchema,
  channel: channelSchema,
  groupIds: groupIdsSchema,
  source: sourceSchema,
});

/** Input of `setSubscriptions`. */
export const setSubscriptionsSchema = z.object({
  contactId: idSchema,
  channel: channelSchema,
  subscribedGroupIds: groupIdsSchema,
  source: sourceSchema,
  /** Also join ticked groups the contact never belonged to (admin API); the manager page must not. */
  allowJoin: z.boolean({ error: 'must be true or false' }).default(false),
});

/**
 * Parses `input` with `schema`.
 * @throws SubscriptionError `invalid_input` with the first issue's path as `field`.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join('.') || 'input';
  throw new SubscriptionError('invalid_input', `${field} ${issue?.message ?? 'is invalid'}`, { field });
}
