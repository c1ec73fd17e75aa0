/**
 * @module Page branding: the sender's logo, notice text, button text (also per locale), confirmation
 * switch, default language and the "why?" question for the public pages, stored as the setting
 * `pages.branding`. The zod schema is exported so the admin API
 * and the settings UI validate with the same rules; `readBranding` reads the stored value.
 */
import Handlebars from 'handlebars';
import { z } from 'zod';
import { supportedLocales, type Locale } from '../i18n/index.js';
import type { Store } from '../store/index.js';

/** The setting key the branding is stored under. */
export const brandingSettingKey = 'pages.branding';

/** The subscriber tags sender texts may use (the seed's list; `extraField.NAME` for any name). */
export const subscriberTags = [
  'subscriber_email',
  'subscriber_phone',
  'subscriber_firstname',
  'subscriber_lastname',
  'subscriber_id',
  'extraField.NAME',
] as const;

/** True when `text` parses as a Handlebars template (sender texts are rendered with subscriber tags). */
function parsesAsHandlebars(text: string): boolean {
  try {
    Handlebars.parse(text);
    return true;
  } catch {
    return false;
  }
}

const senderText = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty (leave it out for the default)')
    .max(max, `must be at most ${max} characters`)
    .refine(parsesAsHandlebars, {
      message:
        'has a broken tag: use subscriber tags such as {{subscriber_firstname}} or {{extraField.city}}',
    });

/** A logo URL: absolute https only (pages are served with `img-src https: data:`; no mixed content). */
const logoUrlSchema = z
  .string()
  .trim()
  .max(2_000, 'must be at most 2000 characters')
  .refine((value) => {
    try {
      return new URL(value).protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an absolute https URL, e.g. https://example.com/logo.png');

/**
 * The branding of the public pages. Every field is optional; missing ones take the defaults.
 * `noticeText` and `buttonText` may use the subscriber tags (`{{subscriber_firstname}}`, …); they are
 * plain text, never HTML. `confirm` overrides the `confirm` option of the app (UNSUB_CONFIRM).
 */
export const pageBrandingSchema = z.strictObject({
  logoUrl: logoUrlSchema.optional(),
  noticeText: senderText(2_000).optional(),
  buttonText: senderText(100).optional(),
  confirm: z.boolean({ error: 'must be true or false' }).optional(),
  /** The pages' language when neither the link, `?lang=` nor the browser picks a supported one. */
  defaultLocale: z
    .enum(supportedLocales, { error: `must be one of ${supportedLocales.join(', ')}` })
    .optional(),
  /** Ask on the done page why the contact left (off by default). */
  askReason: z.boolean({ error: 'must be true or false' }).optional(),
  /**
   * Sender texts per locale (`{"ru": {"notice": "…", "button": "…"}}`); a locale without its own
   * text shows `noticeText` / `buttonText`, and without those the page's own words.
   */
  texts: z
    .partialRecord(
      z.enum(supportedLocales, { error: `must be one of ${supportedLocales.join(', ')}` }),
      z.strictObject({ notice: senderText(2_000).optional(), button: senderText(100).optional() }),
    )
    .optional(),
});

/** The branding of the public pages (see `pageBrandingSchema`). */
export type PageBranding = z.output<typeof pageBrandingSchema>;

/** The sender's notice and button text for `locale`: its own texts, else the locale-less ones. */
export function senderTextsFor(
  branding: PageBranding,
  locale: Locale,
): { notice: string | undefined; button: string | undefined } {
  const own = branding.texts?.[locale];
  return { notice: own?.notice ?? branding.noticeText, button: own?.button ?? branding.buttonText };
}

/**
 * Reads the stored branding. A missing setting is `{}`; a stored value that no longer validates
 * (e.g. written by hand) is also `{}` and reported through `onInvalid`, so pages keep working.
 */
export async function readBranding(
  store: Pick<Store, 'getSetting'>,
  onInvalid?: (message: string) => void,
): Promise<PageBranding> {
  const stored = await store.getSetting(brandingSettingKey);
  if (stored === undefined || stored === null) return {};
  const parsed = pageBrandingSchema.safeParse(stored);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  onInvalid?.(
    `setting ${brandingSettingKey} is invalid (${issue?.path.join('.') || 'value'} ${issue?.message ?? ''}); using the default branding`,
  );
  return {};
}
