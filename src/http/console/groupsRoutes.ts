/**
 * @module Groups: every mailing group of both channels, and a form creating one through the
 * subscription commands (the same validation as the admin API: `createGroupSchema`).
 */
import { Router, type Response } from 'express';
import { UnsubError } from '../../errors/index.js';
import { sourceLocale } from '../../i18n/index.js';
import { channels } from '../../store/index.js';
import { methodNotAllowed } from '../errors.js';
import {
  field,
  parseId,
  queryParam,
  redirectTo,
  requireForm,
  requirePage,
  sendPage,
  i18nOf,
  say,
  type ConsoleContext,
} from './consoleContext.js';

/** The fields of the create form. */
interface GroupForm {
  name: string;
  systemName: string;
  description: string;
  channel: string;
}

const emptyForm: GroupForm = { name: '', systemName: '', description: '', channel: 'email' };

/** The group routes. */
export function groupsRoutes(context: ConsoleContext): Router {
  const router = Router();
  const { subscriptions } = context;

  /**
   * A create error in the page's language. English shows the service's own message (it names the
   * rule broken); other languages say it by code and field.
   */
  const groupError = (res: Response, error: UnsubError<string>): string => {
    const i18n = i18nOf(context, res);
    if (i18n.locale === sourceLocale) return error.message;
    if (error.code === 'system_name_taken') return i18n.t('console.groups.error.system_name_taken');
    const field = ['name', 'systemName', 'channel'].includes(error.field ?? '') ? error.field : 'other';
    return i18n.t(`console.groups.error.${field ?? 'other'}`);
  };

  const render = async (
    res: Response,
    form: GroupForm,
    extra: { error?: { field: string; message: string }; created?: number } = {},
    status = 200,
  ) => {
    const groups = await subscriptions.listGroups({});
    sendPage(
      context,
      res,
      'groups',
      { title: 'console.groups.title', section: 'groups' },
      {
        groups: groups.map((group) => ({
          ...group,
          created: group.id === extra.created,
          channelLabel: say(context, res, `console.channel.${group.channel}`),
        })),
        form,
        channels: channels.map((value) => ({
          value,
          label: say(context, res, `console.channel.${value}`),
          checked: value === form.channel,
        })),
        error: extra.error,
        errorField: extra.error?.field,
        created: extra.created === undefined ? undefined : groups.find((group) => group.id === extra.created),
      },
      status,
    );
  };

  router
    .route('/groups')
    .get(requirePage(context), async (req, res) => {
      const created = parseId(queryParam(req, 'created'));
      await render(res, emptyForm, created === undefined ? {} : { created });
    })
    .post(...requireForm(context, '/groups'), async (req, res) => {
      const form: GroupForm = {
        name: field(req, 'name'),
        systemName: field(req, 'systemName'),
        description: field(req, 'description'),
        channel: field(req, 'channel'),
      };
      try {
        const group = await subscriptions.createGroup({
          name: form.name,
          systemName: form.systemName,
          ...(form.description.trim() === '' ? {} : { description: form.description }),
          channel: form.channel as 'email' | 'sms',
        });
        redirectTo(context, res, `/groups?created=${group.id}`);
      } catch (error) {
        if (!(error instanceof UnsubError) || error.field === undefined) throw error;
        const status = error.code === 'system_name_taken' ? 409 : 422;
        await render(res, form, { error: { field: error.field, message: groupError(res, error) } }, status);
      }
    })
    .all(methodNotAllowed(['GET', 'HEAD', 'POST']));

  return router;
}
