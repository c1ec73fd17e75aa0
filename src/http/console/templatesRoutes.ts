/**
 * @module Templates: the stored message templates — a list, an editor (name, channel, subject,
 * HTML, text) that lints on save and on demand ("Check") with each problem's part, line and column
 * beside the fields, a preview rendered for a chosen contact in a sandboxed frame (no scripts),
 * the subject, the List-Unsubscribe headers and the text part as the recipient gets them, and the
 * versions with re-activation. Everything goes through the messageTemplates part (the same lint,
 * store and cache as `/api/templates`).
 *
 * Forms here carry whole templates (up to 512 KB), so this page reads its own form bodies (2 MB)
 * with the same session and CSRF checks as every console form.
 */
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { UnsubError } from '../../errors/index.js';
import {
  contactFields,
  createMessageTemplates,
  MessageTemplateError,
  renderMessage,
  templateParts,
  type LintProblem,
  type MessageTemplates,
  type RenderedMessage,
  type TemplateParts,
} from '../../messageTemplates/index.js';
import { sourceLocale, type Translator } from '../../i18n/index.js';
import type { Contact } from '../../store/index.js';
import { methodNotAllowed } from '../errors.js';
import { demoContact } from './brandingRoutes.js';
import {
  field,
  parseId,
  queryParam,
  redirectTo,
  requirePage,
  sendNotFound,
  refuseForm,
  i18nOf,
  say,
  sendPage,
  sessionOf,
  setConsoleHeaders,
  wantsJson,
  type ConsoleContext,
} from './consoleContext.js';

/** The editor's fields as the form sends them. */
interface TemplateForm {
  name: string;
  channel: 'email' | 'sms';
  subject: string;
  html: string;
  text: string;
  contactId: string;
}

const emptyForm: TemplateForm = {
  name: '',
  channel: 'email',
  subject: '',
  html: '',
  text: '',
  contactId: '',
};

/** A template form is up to 512 KB of template, URL-encoded. */
const templateFormBody = express.urlencoded({ extended: false, limit: '2mb', parameterLimit: 50 });

/** Headers of the preview frame: framed by the console only, no script at all, no forms. */
function setPreviewHeaders(res: Response): void {
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'none'; " +
      "frame-ancestors 'self'; base-uri 'none'; sandbox",
  );
  res.setHeader('X-Frame-Options', 'SAMEORIGIN');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Robots-Tag', 'noindex, nofollow');
}

/** Options of the template routes. */
export interface TemplatesRoutesOptions {
  /** The service `/api/templates` uses (one cache); default one over the context's store. */
  messageTemplates?: MessageTemplates;
}

/** The template routes. */
export function templatesRoutes(context: ConsoleContext, options: TemplatesRoutesOptions = {}): Router {
  const router = Router();
  const { store } = context;
  const templates = options.messageTemplates ?? createMessageTemplates({ store, now: context.now });

  /** Guards of a template form: session, a 2 MB body, the CSRF token (as `requireForm`). */
  const requireTemplateForm = (back: (req: Request) => string): RequestHandler[] => [
    async (req, res, next) => {
      const session = await context.sessions.read(req);
      if (!session) return redirectTo(context, res, `/signin?next=${encodeURIComponent(back(req))}`);
      res.locals.consoleSession = session;
      next();
    },
    templateFormBody,
    (req, res, next) => {
      if (context.sessions.checkCsrf(sessionOf(res), field(req, '_csrf'))) return next();
      refuseForm(context, req, res);
    },
  ];

  const formFrom = (req: Request): TemplateForm => ({
    name: field(req, 'name'),
    channel: field(req, 'channel') === 'sms' ? 'sms' : 'email',
    subject: field(req, 'subject'),
    html: field(req, 'html'),
    text: field(req, 'text'),
    contactId: field(req, 'contactId'),
  });

  const partsOf = (form: TemplateForm): TemplateParts =>
    templateParts({
      channel: form.channel,
      ...(form.channel === 'email' ? { subject: form.subject, html: form.html } : {}),
      text: form.text.trim() === '' ? null : form.text,
    });

  /** The contacts the preview can be rendered for, and the one chosen (else the first, else a demo). */
  const previewContacts = async (i18n: Translator, chosen: string) => {
    const contacts = await store.listContacts({ limit: 50 });
    const id = parseId(chosen);
    const picked: Contact =
      (id === undefined ? undefined : (contacts.find((c) => c.id === id) ?? (await store.getContact(id)))) ??
      contacts[0] ??
      demoContact;
    return {
      picked,
      choices: [...(contacts.length === 0 ? [demoContact] : contacts)].map((contact) => ({
        id: contact.id,
        label:
          contact.id === demoContact.id && contacts.length === 0
            ? i18n.t('console.template.demo', { email: contact.email })
            : contact.email,
        selected: contact.id === picked.id,
      })),
    };
  };

  /** Lints the form and, when it compiles, renders it for the chosen contact. */
  const check = async (i18n: Translator, form: TemplateForm) => {
    let errors: LintProblem[] = [];
    let warnings: LintProblem[] = [];
    let preview: RenderedMessage | undefined;
    let formError: { field: string; message: string } | undefined;
    const { picked, choices } = await previewContacts(i18n, form.contactId);
    try {
      const parts = partsOf(form);
      const report = await templates.lint(parts);
      errors = report.errors;
      warnings = report.warnings;
      if (errors.length === 0) {
        const message = await templates.compileInline(parts);
        preview = renderMessage(message, contactFields(picked), {
          keyRing: context.keyRing,
          baseUrl: context.baseUrl,
          channel: parts.channel,
          messageUid: 'preview',
        });
      }
    } catch (error) {
      if (!(error instanceof UnsubError) || error.field === undefined) throw error;
      formError = { field: error.field, message: formErrorText(i18n, error) };
    }
    return {
      errors: errors.map((problem) => inLanguage(i18n, problem)),
      warnings: warnings.map((problem) => inLanguage(i18n, problem)),
      preview,
      formError,
      contacts: choices,
    };
  };

  /** Renders the editor page. */
  const renderEditor = async (
    res: Response,
    form: TemplateForm,
    extra: {
      id?: number;
      version?: number;
      activeVersion?: number;
      saved?: boolean;
      activated?: number;
      checked?: boolean;
      deleteUnconfirmed?: boolean;
      formError?: { field: string; message: string };
    },
    status = 200,
  ) => {
    const i18n = i18nOf(context, res);
    const result = await check(i18n, form);
    const formError = extra.formError ?? result.formError;
    const versions =
      extra.id === undefined
        ? []
        : (await templates.versions(extra.id)).map((entry) => ({
            ...entry,
            shown: entry.version === extra.version,
          }));
    sendPage(
      context,
      res,
      'template',
      {
        title:
          extra.id === undefined
            ? 'console.template.titleNew'
            : ['console.template.title', { name: form.name }],
        section: 'templates',
      },
      {
        form,
        id: extra.id,
        version: extra.version,
        activeVersion: extra.activeVersion,
        showingOld: extra.version !== undefined && extra.version !== extra.activeVersion,
        action: extra.id === undefined ? '/templates' : `/templates/${extra.id}`,
        email: form.channel === 'email',
        channels: [
          { value: 'email', label: i18n.t('console.channel.email'), checked: form.channel === 'email' },
          { value: 'sms', label: i18n.t('console.template.channelSms'), checked: form.channel === 'sms' },
        ],
        htmlExample: '<a href="<<link_unsubscribe>>">Unsubscribe</a>',
        saved: extra.saved,
        activated: extra.activated,
        checked: extra.checked,
        deleteUnconfirmed: extra.deleteUnconfirmed,
        formError,
        errors: result.errors,
        warnings: result.warnings,
        clean: result.errors.length === 0 && result.warnings.length === 0 && formError === undefined,
        preview: result.preview,
        contacts: result.contacts,
        versions,
      },
      status,
    );
  };

  const formOfStored = (stored: {
    name: string;
    channel: 'email' | 'sms';
    subject: string;
    html: string;
    text: string | null;
  }): TemplateForm => ({
    name: stored.name,
    channel: stored.channel,
    subject: stored.subject,
    html: stored.html,
    text: stored.text ?? '',
    contactId: '',
  });

  /** Runs `work`; a template error with a field is shown on the editor (422/413), others go on. */
  const onEditor = async (
    res: Response,
    form: TemplateForm,
    where: { id?: number; version?: number; activeVersion?: number },
    work: () => Promise<void>,
  ) => {
    try {
      await work();
    } catch (error) {
      if (error instanceof MessageTemplateError && error.code === 'invalid_template') {
        await renderEditor(res, form, where, 422);
        return;
      }
      if (!(error instanceof UnsubError) || error.field === undefined) throw error;
      const status = error.code === 'template_too_large' ? 413 : 422;
      await renderEditor(
        res,
        form,
        { ...where, formError: { field: error.field, message: formErrorText(i18nOf(context, res), error) } },
        status,
      );
    }
  };

  router
    .route('/templates')
    .get(requirePage(context), async (_req, res) => {
      const list = await templates.list();
      sendPage(
        context,
        res,
        'templates',
        { title: 'console.templates.title', section: 'templates' },
        {
          templates: list.map((template) => ({
            ...template,
            textGenerated: template.text === null,
            channelLabel: say(context, res, `console.channel.${template.channel}`),
          })),
        },
      );
    })
    .post(...requireTemplateForm(() => '/templates/new'), async (req, res) => {
      const form = formFrom(req);
      await onEditor(res, form, {}, async () => {
        const template = await templates.create({ name: form.name, ...partsOf(form), subject: form.subject });
        redirectTo(context, res, `/templates/${template.id}?saved=1`);
      });
    })
    .all(methodNotAllowed(['GET', 'HEAD', 'POST']));

  router.get('/templates/new', requirePage(context), async (req, res) => {
    await renderEditor(res, { ...emptyForm, contactId: queryParam(req, 'contact') }, {});
  });

  // "Check": lint (and preview) without saving; JSON for the script, the editor page otherwise.
  router.post('/templates/check', ...requireTemplateForm(() => '/templates'), async (req, res) => {
    const form = formFrom(req);
    const id = parseId(field(req, 'id'));
    if (wantsJson(req)) {
      const i18n = i18nOf(context, res);
      const result = await check(i18n, form);
      setConsoleHeaders(res);
      res.json({
        // The script shows these as they are (the counts need the page language's plural rules).
        texts: {
          found: i18n.t('console.template.found', { count: result.errors.length }),
          clean: i18n.t('console.template.clean'),
          warning: i18n.t('console.template.warning'),
        },
        errors: result.errors,
        warnings: result.warnings,
        formError: result.formError ?? null,
        preview: result.preview
          ? { subject: result.preview.subject, text: result.preview.text, headers: result.preview.headers }
          : null,
      });
      return;
    }
    const stored = id === undefined ? undefined : await templates.get(id).catch(() => undefined);
    await renderEditor(
      res,
      form,
      stored
        ? { id: stored.id, version: stored.version, activeVersion: stored.activeVersion, checked: true }
        : { checked: true },
    );
  });

  // The preview frame: the form posted into it (target="preview"); HTML only, no script can run.
  router.post('/templates/preview', ...requireTemplateForm(() => '/templates'), async (req, res) => {
    const i18n = i18nOf(context, res);
    const result = await check(i18n, formFrom(req));
    setPreviewHeaders(res);
    if (!result.preview) {
      const problems = result.formError ? 1 : result.errors.length;
      res
        .status(200)
        .type('html')
        .send(
          `<!doctype html><html lang="${i18n.locale}"><meta charset="utf-8">` +
            `<title>${escapeHtml(i18n.t('console.template.previewTitle'))}</title>` +
            `<p style="font:14px sans-serif;padding:1rem">${escapeHtml(i18n.t('console.template.noPreview', { count: problems }))}</p></html>`,
        );
      return;
    }
    const body =
      result.preview.html ??
      `<pre style="white-space:pre-wrap;font:14px sans-serif;padding:1rem">${escapeHtml(result.preview.text)}</pre>`;
    res.type('html').send(body);
  });

  router
    .route('/templates/:id')
    .get(requirePage(context), async (req, res) => {
      const id = parseId(req.params.id);
      const version = parseId(queryParam(req, 'version'));
      const stored = id === undefined ? undefined : await templates.get(id, version).catch(() => undefined);
      if (!stored) return sendNotFound(context, res, 'templates', 'template', req.params.id);
      await renderEditor(
        res,
        { ...formOfStored(stored), contactId: queryParam(req, 'contact') },
        {
          id: stored.id,
          version: stored.version,
          activeVersion: stored.activeVersion,
          saved: queryParam(req, 'saved') === '1',
          deleteUnconfirmed: queryParam(req, 'delete') === 'unconfirmed',
          ...(parseId(queryParam(req, 'activated')) === undefined
            ? {}
            : { activated: Number(queryParam(req, 'activated')) }),
        },
      );
    })
    .post(...requireTemplateForm((req) => `/templates/${String(req.params.id)}`), async (req, res) => {
      const id = parseId(req.params.id);
      const stored = id === undefined ? undefined : await templates.get(id).catch(() => undefined);
      if (!stored) return sendNotFound(context, res, 'templates', 'template', req.params.id);
      const form = formFrom(req);
      await onEditor(
        res,
        form,
        { id: stored.id, version: stored.version, activeVersion: stored.activeVersion },
        async () => {
          await templates.update(stored.id, { name: form.name, ...partsOf(form), subject: form.subject });
          redirectTo(context, res, `/templates/${stored.id}?saved=1`);
        },
      );
    })
    .all(methodNotAllowed(['GET', 'HEAD', 'POST']));

  router.post(
    '/templates/:id/activate',
    ...requireTemplateForm((req) => `/templates/${String(req.params.id)}`),
    async (req, res) => {
      const id = parseId(req.params.id);
      const version = parseId(field(req, 'version'));
      if (id === undefined || version === undefined)
        return sendNotFound(context, res, 'templates', 'template', req.params.id);
      try {
        await templates.activate(id, version);
      } catch (error) {
        if (error instanceof MessageTemplateError)
          return sendNotFound(context, res, 'templates', 'version', `${id} v${version}`);
        throw error;
      }
      redirectTo(context, res, `/templates/${id}?activated=${version}`);
    },
  );

  router.post('/templates/:id/delete', ...requireTemplateForm(() => '/templates'), async (req, res) => {
    const id = parseId(req.params.id);
    // Deleting takes every version with it: the form's box must be ticked (a stray Enter on the
    // button alone only brings the page back with the reason).
    if (id !== undefined && field(req, 'confirm') !== 'delete')
      return redirectTo(context, res, `/templates/${id}?delete=unconfirmed#delete-form`);
    if (id !== undefined) await templates.remove(id).catch(() => undefined);
    redirectTo(context, res, '/templates');
  });

  return router;
}

/**
 * A lint problem in the page's language. English keeps the linter's own message and hint (they name
 * the tag, the group, the fix); other languages say it by code (the code, part, line and column stay
 * beside it) and drop the English hint.
 */
function inLanguage(i18n: Translator, problem: LintProblem): LintProblem {
  if (i18n.locale === sourceLocale) return problem;
  const key = `console.lint.${problem.code}`;
  const message = i18n.t(key);
  if (message === key) return problem;
  const { hint: _hint, ...rest } = problem;
  return { ...rest, message };
}

/** The label keys of the editor's fields (an error names its field). */
const fieldLabels: Record<string, string> = {
  name: 'console.template.name',
  subject: 'console.template.subject',
  html: 'console.template.html',
  text: 'console.template.text',
};

/**
 * A form error in the page's language. English shows the service's own message (it says what is
 * wrong and the limit); other languages name the field.
 */
function formErrorText(i18n: Translator, error: UnsubError<string>): string {
  if (i18n.locale === sourceLocale) return error.message;
  const label = fieldLabels[error.field ?? ''];
  return i18n.t('console.template.formError', { label: label ? i18n.t(label) : (error.field ?? '') });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
