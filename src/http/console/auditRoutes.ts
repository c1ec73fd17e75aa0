/**
 * @module `GET /audit`: the audit log of changes made through the console and the admin API,
 * newest first, 100 a page.
 */
import { Router } from 'express';
import { queryParam, requirePage, sendPage, type ConsoleContext } from './consoleContext.js';

const pageSize = 100;

/** The audit log page. */
export function auditRoutes(context: ConsoleContext): Router {
  const router = Router();
  router.get('/audit', requirePage(context), async (req, res) => {
    const before = Number(queryParam(req, 'before'));
    const entries = await context.store.listAudit({
      limit: pageSize,
      ...(Number.isSafeInteger(before) && before > 0 ? { beforeId: before } : {}),
    });
    sendPage(
      context,
      res,
      'audit',
      { title: 'console.audit.title', section: 'audit' },
      { entries, next: entries.length === pageSize ? entries.at(-1)?.id : undefined },
    );
  });
  return router;
}
