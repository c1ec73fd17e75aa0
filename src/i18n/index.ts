/**
 * @module The i18n part: which locales unsub speaks, which one a request gets (`negotiateLocale`),
 * and the catalogs in `locales/` formatted with ICU MessageFormat (`loadTranslators`). Pages,
 * console and the CLI import only this entry.
 */
export {
  supportedLocales,
  sourceLocale,
  consoleLocales,
  consoleKeyPrefix,
  localeNames,
  isSupportedLocale,
  directionOf,
  type Locale,
} from './locales.js';
export {
  negotiateLocale,
  matchLocale,
  parseAcceptLanguage,
  type LocaleRequest,
  type LocaleSource,
} from './negotiateLocale.js';
export {
  loadTranslators,
  bundledTranslators,
  createTranslator,
  readCatalog,
  escapeHtml,
  defaultLocalesDir,
  type Catalog,
  type MessageValues,
  type Translator,
} from './catalogs.js';
