/**
 * @module The locales unsub speaks: their tags (as the catalogs in `locales/` are named), their own
 * names for the language switcher, and their writing direction.
 */

/** Every supported locale; `en` is the source catalog the others are checked against. */
export const supportedLocales = [
  'en',
  'ru',
  'uk',
  'de',
  'fr',
  'es',
  'it',
  'pt-BR',
  'pl',
  'nl',
  'tr',
  'ar',
  'zh-CN',
  'ja',
] as const;

/** One supported locale tag. */
export type Locale = (typeof supportedLocales)[number];

/**
 * The locales the sender's console speaks (its texts are the `console.*` keys; only these catalogs
 * must carry them). A console request for any other language gets the source locale.
 */
export const consoleLocales: readonly Locale[] = ['en', 'ru'];

/** The prefix of the console's message keys. */
export const consoleKeyPrefix = 'console.';

/** The locale of last resort (and the source catalog). */
export const sourceLocale: Locale = 'en';

/** Each language's name in itself: a switcher must be readable by someone who cannot read the page. */
export const localeNames: Record<Locale, string> = {
  en: 'English',
  ru: 'Русский',
  uk: 'Українська',
  de: 'Deutsch',
  fr: 'Français',
  es: 'Español',
  it: 'Italiano',
  'pt-BR': 'Português (Brasil)',
  pl: 'Polski',
  nl: 'Nederlands',
  tr: 'Türkçe',
  ar: 'العربية',
  'zh-CN': '简体中文',
  ja: '日本語',
};

const supported = new Set<string>(supportedLocales);

/** True for one of `supportedLocales`, spelt exactly. */
export function isSupportedLocale(value: unknown): value is Locale {
  return typeof value === 'string' && supported.has(value);
}

/** `rtl` for scripts written right to left (Arabic), else `ltr`. */
export function directionOf(locale: Locale): 'ltr' | 'rtl' {
  return locale === 'ar' ? 'rtl' : 'ltr';
}
