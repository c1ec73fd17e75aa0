/**
 * @module Routes of stored templates: lint, create, list, read (any version), new version,
 * versions, re-activate, delete.
 */
import { Router } from 'express';
import { MessageTemplateError } from '../../messageTemplates/index.js';
import { parseAdminInput } from '../admin/parseAdminInput.js';
import {
  activateBodySchema,
  lintBodySchema,
  templateBodySchema,
  templateJson,
  versionQuerySchema,
} from './templatesApiSchemas.js';
import type { TemplatesApiContext } from './templatesApiRouter.js';

/** A template id in a path: a positive integer, else the same 404 as a missing template. */
export function templateId(value: unknown): number {
  if (typeof value === 'string' && /^[1-9][0-9]{0,14}$/.test(value)) return Number(value);
  throw new MessageTemplateError('template_not_found', `there is no template ${JSON.stringify(value)}`, {
    field: 'id',
  });
}

/** The template routes. */
export function templatesRoutes({ messageTemplates }: TemplatesApiContext): Router {
  const router = Router();
  /** The saved version's JSON with its lint warnings (the compiled form is cached by the save). */
  const saved = async (id: number, version: number) => {
    const { template, message } = await messageTemplates.compiled(id, version);
    return templateJson(template, message.warnings);
  };

  router.post('/templates/lint', async (req, res) => {
    res.json(await messageTemplates.lint(parseAdminInput(lintBodySchema, req.body)));
  });

  router.post('/templates', async (req, res) => {
    const template = await messageTemplates.create(parseAdminInput(templateBodySchema, req.body));
    res
      .status(201)
      .location(`${req.baseUrl}/templates/${template.id}`)
      .json(await saved(template.id, template.version));
  });

  router.get('/templates', async (_req, res) => {
    res.json({ templates: (await messageTemplates.list()).map((template) => templateJson(template)) });
  });

  router.get('/templates/:id', async (req, res) => {
    const { version } = parseAdminInput(versionQuerySchema, req.query, 'query.');
    res.json(templateJson(await messageTemplates.get(templateId(req.params.id), version)));
  });

  router.put('/templates/:id', async (req, res) => {
    const id = templateId(req.params.id);
    const template = await messageTemplates.update(id, parseAdminInput(templateBodySchema, req.body));
    res.json(await saved(id, template.version));
  });

  router.get('/templates/:id/versions', async (req, res) => {
    const versions = await messageTemplates.versions(templateId(req.params.id));
    res.json({
      versions: versions.map((entry) => ({ ...entry, createdAt: new Date(entry.createdAt).toISOString() })),
    });
  });

  router.post('/templates/:id/activate', async (req, res) => {
    const id = templateId(req.params.id);
    const { version } = parseAdminInput(activateBodySchema, req.body);
    res.json(templateJson(await messageTemplates.activate(id, version)));
  });

  router.delete('/templates/:id', async (req, res) => {
    await messageTemplates.remove(templateId(req.params.id));
    res.status(204).end();
  });

  return router;
}
