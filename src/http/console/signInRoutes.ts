/**
 * @module Sign-in and sign-out of the console: `GET /signin` (the form), `POST /signin` (the admin
 * token, checked by the same verifier as the admin API's bearer token → a session cookie and a
 * 303 to `next`), `POST /signout` (CSRF-checked; revokes the session and clears the cookie).
 */
import express, { Router } from 'express';
import type { AdminTokenVerifier } from '../admin/index.js';
import { methodNotAllowed } from '../errors.js';
import {
  field,
  queryParam,
  redirectTo,
  requireForm,
  safeNext,
  say,
  sendPage,
  type ConsoleContext,
} from './consoleContext.js';

/** The sign-in form is one short token and a path. */
const signInBody = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });

/** Longest token considered at all (the admin API's tokens are far shorter). */
const maxTokenLength = 1_000;

/** The sign-in routes. */
export function signInRoutes(context: ConsoleContext, verifyAdminToken: AdminTokenVerifier): Router {
  const router = Router();
  const render = (res: express.Response, next: string, error?: string) =>
    sendPage(context, res, 'signin', { title: 'console.signin.title' }, { next, error }, error ? 401 : 200);

  router
    .route('/signin')
    .get(async (req, res) => {
      const next = safeNext(queryParam(req, 'next'));
      if (await context.sessions.read(req)) {
        redirectTo(context, res, next);
        return;
      }
      render(res, next);
    })
    .post(signInBody, async (req, res) => {
      const next = safeNext(field(req, 'next'));
      const token = field(req, 'token').trim();
      if (token === '' || token.length > maxTokenLength || !verifyAdminToken(token)) {
        render(res, next, say(context, res, token === '' ? 'console.signin.empty' : 'console.signin.wrong'));
        return;
      }
      await context.sessions.start(req, res);
      redirectTo(context, res, next);
    })
    .all(methodNotAllowed(['GET', 'HEAD', 'POST']));

  router
    .route('/signout')
    .post(...requireForm(context, '/settings/webhooks'), async (req, res) => {
      context.sessions.end(req, res, await context.sessions.read(req));
      redirectTo(context, res, '/signin');
    })
    .all(methodNotAllowed(['POST']));

  return router;
}
