/**
 * @module The dashboard (the console's first page after sign-in) and its data: `GET /dashboard`
 * renders the backlog and endpoint table and loads Chart.js plus `dashboard.js`, both served from
 * the package (no CDN; the CSP allows only our own scripts); the script fetches the same JSON the
 * admin API has under `/api/stats/…`, here at `/console/api/stats/…` behind the console session.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Router, type RequestHandler } from 'express';
import { statsRoutes } from '../stats/index.js';
import { consoleAssetsDir, formatTime } from './consoleViews.js';
import { i18nOf, requirePage, sendPage, type ConsoleContext } from './consoleContext.js';

/** A script served with a content hash in its URL, so it may be cached for good. */
interface Script {
  path: string;
  href: string;
  body: Buffer;
}

function script(basePath: string, file: string, routePath: string): Script {
  const body = readFileSync(file);
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { path: routePath, href: `${basePath}${routePath}?v=${hash}`, body };
}

/** The JSON routes' guard: a console session, else 401 (a fetch cannot follow a sign-in page). */
function requireSessionJson(context: ConsoleContext): RequestHandler {
  return async (req, res, next) => {
    if (!(await context.sessions.read(req))) {
      res.status(401).json({ error: { code: 'unauthorized', message: 'sign in to the console first' } });
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    next();
  };
}

/** The dashboard routes. */
export function dashboardRoutes(context: ConsoleContext): Router {
  // Chart.js's UMD build from the installed package: its `exports` do not list the file, so find
  // the package through its CommonJS entry (dist/chart.cjs) and take the sibling.
  const chartFile = path.join(
    path.dirname(createRequire(import.meta.url).resolve('chart.js')),
    'chart.umd.js',
  );
  const chart = script(context.basePath, chartFile, '/console/assets/chart.umd.js');
  const dashboard = script(
    context.basePath,
    path.join(consoleAssetsDir, 'dashboard.js'),
    '/console/assets/dashboard.js',
  );
  const router = Router();
  for (const asset of [chart, dashboard]) {
    router.get(asset.path, (_req, res) => {
      res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      res.type('js').send(asset.body);
    });
  }

  router.use('/console/api', requireSessionJson(context), statsRoutes(context.store, context.now));

  router.get('/dashboard', requirePage(context), async (_req, res) => {
    const { t } = i18nOf(context, res);
    const now = context.now();
    const [backlog, endpoints, unsubscribes] = await Promise.all([
      context.store.backlogStats(),
      context.store.endpointHealth(),
      context.store.unsubscribesByDay({ from: now - 30 * 86_400_000, to: now + 1 }),
    ]);
    sendPage(
      context,
      res,
      'dashboard',
      { title: 'console.dashboard.title', section: 'dashboard' },
      {
        backlog,
        endpoints: endpoints.map((endpoint) => {
          const state = t(`console.dashboard.state.${endpoint.state}`);
          return {
            ...endpoint,
            label: t('console.dashboard.endpointLabel', {
              event: endpoint.eventType ?? t('console.dashboard.everyEvent'),
              url: endpoint.url,
            }),
            stateText: endpoint.disabledReason
              ? t('console.dashboard.disabledReason', { state, reason: endpoint.disabledReason })
              : endpoint.failingSince
                ? t('console.dashboard.failingSince', { state, time: formatTime(endpoint.failingSince) })
                : state,
          };
        }),
        sources: [...new Set(unsubscribes.map((row) => row.source))].sort(),
        chartHref: chart.href,
        dashboardHref: dashboard.href,
      },
    );
  });
  return router;
}
