/**
 * @module Settings ➔ Unsubscribe pages: the branding of the public pages (logo URL, notice text,
 * button text, confirmation) — the same `pages.branding` setting, schema and reader the public
 * pages and the admin API use — with a live preview of the confirm page and the manager rendered by
 * the public pages' own renderer for a demo contact, in frames served by this router.
 *
 * The preview reads a draft from its query string (`?draft=1&logoUrl=…`): the script points the
 * frames at the form's current values as the sender types; fields that do not validate yet are
 * left at their defaults. Without a draft it shows what is saved.
 */
import { Router, type Request, type Response } from 'express';
import { bundledTranslators, sourceLocale } from '../../i18n/index.js';
import type { Contact, Group } from '../../store/index.js';
import { maxReasonLength, undoWindowDays } from '../../subscriptions/index.js';
import { methodNotAllowed } from '../errors.js';
import { brandedButton, brandedNotice, pageFrame, pageLanguage } from '../linkPageContext.js';
import { maskAddress } from '../maskAddress.js';
import {
  brandingSettingKey,
  pageBrandingSchema,
  readBranding,
  subscriberTags,
  type PageBranding,
} from '../pageBranding.js';
import {
  field,
  queryParam,
  redirectTo,
  requireForm,
  requirePage,
  sendPage,
  i18nOf,
  type ConsoleContext,
} from './consoleContext.js';

/** The recipient the preview shows the pages to (never stored). */
export const demoContact: Contact = Object.freeze({
  id: 1042,
  email: 'jane.doe@example.com',
  phone: '+79123456789',
  firstName: 'Jane',
  lastName: 'Doe',
  extra: { city: 'Riga' },
  createdAt: 0,
  updatedAt: 0,
});

/** Groups shown when the sender has none yet. */
const sampleGroups = ['Weekly newsletter', 'Offers and discounts'];

/** The branding fields as a form sends them (strings; confirm as `default` | `on` | `off`). */
type BrandingForm = { logoUrl: string; noticeText: string; buttonText: string; confirm: string };

const textFields = ['logoUrl', 'noticeText', 'buttonText'] as const;

/** A branding form's values → the setting's input (blank texts take the defaults). */
function brandingInput(form: BrandingForm): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const name of textFields) if (form[name].trim() !== '') input[name] = form[name];
  if (form.confirm === 'on') input.confirm = true;
  if (form.confirm === 'off') input.confirm = false;
  return input;
}

/** The form values of a stored branding. */
function formOf(branding: PageBranding): BrandingForm {
  return {
    logoUrl: branding.logoUrl ?? '',
    noticeText: branding.noticeText ?? '',
    buttonText: branding.buttonText ?? '',
    confirm: branding.confirm === undefined ? 'default' : branding.confirm ? 'on' : 'off',
  };
}

/** The draft of a preview request: each field that validates on its own, the rest left out. */
export function draftBranding(form: BrandingForm): PageBranding {
  const input = brandingInput(form);
  const draft: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    const parsed = pageBrandingSchema.safeParse({ [name]: value });
    if (parsed.success) Object.assign(draft, parsed.data);
  }
  return draft as PageBranding;
}

/** Headers of a preview frame: framable by the console only, no forms, no script. */
function setPreviewHeaders(res: Response): void {
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; style-src 'self'; img-src https: data:; form-action 'none'; " +
      "frame-ancestors 'self'; base-uri 'none'; sandbox allow-same-origin",
  );
  res.setHeader('X-Frame-Options', 'SAMEORIGIN');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Robots-Tag', 'noindex, nofollow');
}

/** The label keys of the form's text fields (an error names its field). */
const fieldLabels: Record<string, string> = {
  logoUrl: 'console.pages.logoUrl',
  noticeText: 'console.pages.noticeText',
  buttonText: 'console.pages.buttonText',
};

/** The branding routes. */
export function brandingRoutes(context: ConsoleContext, confirmDefault: boolean): Router {
  const router = Router();
  const { store } = context;

  const formFromRequest = (read: (name: string) => string): BrandingForm => ({
    logoUrl: read('logoUrl'),
    noticeText: read('noticeText'),
    buttonText: read('buttonText'),
    confirm: read('confirm'),
  });

  const render = (
    res: Response,
    form: BrandingForm,
    extra: { errors?: Record<string, string>; saved?: boolean } = {},
    status = 200,
  ) => {
    const params = new URLSearchParams({ draft: '1', ...form });
    const { t } = i18nOf(context, res);
    sendPage(
      context,
      res,
      'pages',
      { title: 'console.pages.title', section: 'pages' },
      {
        form,
        buttonPlaceholder: t('console.pages.buttonPlaceholder'),
        confirmChoices: [
          {
            value: 'default',
            label: t('console.pages.confirmDefault', { on: confirmDefault ? 'on' : 'off' }),
          },
          { value: 'on', label: t('console.pages.confirmOn') },
          { value: 'off', label: t('console.pages.confirmOff') },
        ].map((choice) => ({ ...choice, checked: choice.value === form.confirm })),
        errors: extra.errors ?? {},
        hasErrors: Object.keys(extra.errors ?? {}).length > 0,
        saved: extra.saved,
        tags: subscriberTags.map((tag) => `{{${tag}}}`),
        // After a failed save the frames show the draft; otherwise what is saved.
        previewQuery: extra.errors ? `?${params}` : '',
      },
      status,
    );
  };

  router
    .route('/settings/pages')
    .get(requirePage(context), async (req, res) => {
      render(res, formOf(await readBranding(store)), { saved: queryParam(req, 'saved') === '1' });
    })
    .post(...requireForm(context, '/settings/pages'), async (req, res) => {
      const form = formFromRequest((name) => field(req, name));
      if (!['default', 'on', 'off'].includes(form.confirm)) form.confirm = 'default';
      const parsed = pageBrandingSchema.safeParse(brandingInput(form));
      if (!parsed.success) {
        const i18n = i18nOf(context, res);
        const errors: Record<string, string> = {};
        for (const issue of parsed.error.issues) {
          const name = String(issue.path[0] ?? 'form');
          // English: the field's label and the schema's own words; other languages by field.
          const label = fieldLabels[name];
          errors[name] ??=
            i18n.locale === sourceLocale
              ? `${label ? i18n.t(label) : name} ${issue.message}`
              : i18n.t(label ? `console.pages.error.${name}` : 'console.pages.error.other');
        }
        render(res, form, { errors }, 422);
        return;
      }
      // Stored without undefined members: the value is JSON (as the admin API stores it).
      await store.setSetting(brandingSettingKey, JSON.parse(JSON.stringify(parsed.data)), context.now());
      redirectTo(context, res, '/settings/pages?saved=1');
    })
    .all(methodNotAllowed(['GET', 'HEAD', 'POST']));

  /** The draft from the query, or the saved branding. */
  const previewBranding = async (req: Request): Promise<PageBranding> =>
    queryParam(req, 'draft') === '1'
      ? draftBranding(formFromRequest((name) => queryParam(req, name)))
      : readBranding(store);

  /** Up to three of the sender's e-mail groups, or sample names. */
  const previewGroups = async (): Promise<Pick<Group, 'id' | 'name' | 'description'>[]> => {
    const groups = (await store.listGroups({ channel: 'email' })).slice(0, 3);
    return groups.length > 0
      ? groups
      : sampleGroups.map((name, index) => ({ id: index + 1, name, description: '' }));
  };

  router.get('/settings/pages/preview/confirm', requirePage(context), async (req, res) => {
    const branding = await previewBranding(req);
    const groups = await previewGroups();
    const address = maskAddress(demoContact, 'email');
    const i18n = pageLanguage(req, res, { translators: bundledTranslators() }, branding);
    const notice = brandedNotice(branding, demoContact, i18n.locale);
    setPreviewHeaders(res);
    if (!(branding.confirm ?? confirmDefault)) {
      // Without confirmation the recipient sees the result at once.
      res.type('html').send(
        context.publicPages.render('done', pageFrame(i18n.t('done.title'), branding, i18n), {
          address,
          allGroups: true,
          channel: 'email',
          left: groups.map((group) => group.name),
          groupCount: 0,
          undo: { days: undoWindowDays },
          ...(branding.askReason ? { askReason: { max: maxReasonLength } } : {}),
        }),
      );
      return;
    }
    res.type('html').send(
      context.publicPages.render('confirm', pageFrame(i18n.t('confirm.title'), branding, i18n), {
        address,
        allGroups: true,
        channel: 'email',
        groups: [],
        buttonText: brandedButton(branding, demoContact, i18n.locale) ?? i18n.t('confirm.button'),
        ...(notice === undefined ? {} : { notice }),
      }),
    );
  });

  router.get('/settings/pages/preview/manager', requirePage(context), async (req, res) => {
    const branding = await previewBranding(req);
    const groups = await previewGroups();
    const i18n = pageLanguage(req, res, { translators: bundledTranslators() }, branding);
    const notice = brandedNotice(branding, demoContact, i18n.locale);
    setPreviewHeaders(res);
    res.type('html').send(
      context.publicPages.render('manager', pageFrame(i18n.t('manager.title'), branding, i18n), {
        address: maskAddress(demoContact, 'email'),
        channel: 'email',
        groups: groups.map((group, index) => ({
          id: group.id,
          name: group.name,
          description: group.description,
          checked: index % 2 === 0,
        })),
        ...(notice === undefined ? {} : { notice }),
      }),
    );
  });

  return router;
}
