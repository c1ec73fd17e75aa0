/**
 * @module Render routes: `POST /render` (one message; JSON, or the whole `.eml` with
 * `Accept: message/rfc822`) and `POST /templates/:id/render` (NDJSON: one recipient per line in,
 * one rendered message or error per line out, in order, streamed; a summary line last).
 */
import { Router } from 'express';
import {
  buildEml,
  MessageTemplateError,
  renderMessage,
  resolveRecipient,
  templateParts,
  type CompiledMessage,
  type RenderedMessage,
} from '../../messageTemplates/index.js';
import type { Channel } from '../../store/index.js';
import { TemplateError, type Recipient } from '../../template/index.js';
import { HttpError, toHttpProblem } from '../errors.js';
import { invalidInput, parseAdminInput } from '../admin/parseAdminInput.js';
import { streamNdjson } from './streamNdjson.js';
import { messageUidSchema, renderBodySchema, versionQuerySchema } from './templatesApiSchemas.js';
import type { TemplatesApiContext } from './templatesApiRouter.js';
import { templateId } from './templatesRoutes.js';

/** Longest NDJSON line (one recipient with its merge fields). */
export const maxBatchLineLength = 1024 * 1024;

const batchQuerySchema = versionQuerySchema.extend({ channel: renderBodySchema.shape.channel });

/** The render routes. */
export function renderRoutes(context: TemplatesApiContext): Router {
  const { store, messageTemplates, keyRing, now } = context;
  const router = Router();

  /** Renders, naming the recipient's field in the engine's errors (`prefix` = `recipient.` or ``). */
  const renderFor = (
    message: CompiledMessage,
    recipient: Recipient,
    channel: Channel | undefined,
    messageUid: string | undefined,
    prefix: string,
  ): RenderedMessage => {
    try {
      return renderMessage(message, recipient, {
        keyRing,
        baseUrl: context.baseUrl(),
        channel: channel ?? message.channel,
        now,
        ...(messageUid === undefined ? {} : { messageUid }),
      });
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      const field = error.field === undefined ? prefix.replace(/\.$/, '') || 'line' : prefix + error.field;
      throw new MessageTemplateError('invalid_recipient', error.message, { field, cause: error });
    }
  };

  router.post('/render', async (req, res) => {
    const body = parseAdminInput(renderBodySchema, req.body);
    if ((body.templateId === undefined) === (body.template === undefined)) {
      throw invalidInput('templateId', 'send either templateId (a stored template) or template (inline)');
    }
    const message =
      body.template !== undefined
        ? await messageTemplates.compileInline(templateParts(body.template))
        : (await messageTemplates.compiled(body.templateId!, body.version)).message;
    const recipient = await resolveRecipient(store, body.recipient);
    const rendered = renderFor(message, recipient, body.channel, body.messageUid, 'recipient.');
    if (req.accepts(['application/json', 'message/rfc822']) !== 'message/rfc822') {
      res.json({ contactId: recipient.contactId, ...rendered });
      return;
    }
    const from = body.from ?? context.mailFrom;
    if (from === undefined || from.trim() === '') {
      throw new MessageTemplateError(
        'missing_from',
        'a .eml needs a sender: send from, or set UNSUB_MAIL_FROM',
        {
          field: 'from',
        },
      );
    }
    if (typeof recipient.email !== 'string' || !recipient.email.includes('@')) {
      throw new MessageTemplateError('invalid_recipient', 'a .eml needs recipient.email', {
        field: 'recipient.email',
      });
    }
    const eml = await buildEml(rendered, {
      from,
      to: recipient.email,
      date: new Date(now()),
      ...(body.messageUid === undefined ? {} : { messageUid: body.messageUid }),
    });
    res
      .type('message/rfc822')
      .set('Content-Disposition', `inline; filename="${recipient.contactId}.eml"`)
      .send(eml);
  });

  router.post('/templates/:id/render', async (req, res) => {
    const id = templateId(req.params.id);
    const query = parseAdminInput(batchQuerySchema, req.query, 'query.');
    if (!req.is(['application/x-ndjson', 'application/jsonl', 'application/json-seq'])) {
      throw new HttpError(
        'unsupported_media_type',
        'send one recipient per line with "Content-Type: application/x-ndjson"',
        {
          status: 415,
          field: 'Content-Type',
        },
      );
    }
    const { message } = await messageTemplates.compiled(id, query.version);
    let rendered = 0;
    let failed = 0;
    const errorLine = (line: number, error: unknown) => {
      failed += 1;
      const problem = toHttpProblem(error, 'api');
      const detail = {
        code: problem.code,
        message: problem.message,
        ...(problem.field ? { field: problem.field } : {}),
      };
      return JSON.stringify({ line, error: detail });
    };
    const success = (line: number, recipient: Recipient, value: RenderedMessage) => {
      rendered += 1;
      return JSON.stringify({ line, contactId: recipient.contactId, ...value });
    };
    const renderLine = (line: number, recipient: Recipient, uid: string | undefined) =>
      success(line, recipient, renderFor(message, recipient, query.channel, uid, ''));

    res.status(200).type('application/x-ndjson');
    res.flushHeaders();
    try {
      await streamNdjson(
        req,
        res,
        (text, line) => {
          try {
            if (text.length > maxBatchLineLength) throw tooLong();
            let input: unknown;
            try {
              input = JSON.parse(text);
            } catch (error) {
              throw new HttpError('malformed_json', `line ${line} is not JSON: ${(error as Error).message}`, {
                status: 400,
                field: 'line',
              });
            }
            const fields = input as Record<string, unknown> | null;
            const uidValue = fields?.messageUid ?? fields?.message_uid;
            let uid: string | undefined;
            if (uidValue !== undefined) {
              const parsed = messageUidSchema.safeParse(uidValue);
              if (!parsed.success)
                throw invalidInput(
                  'messageUid',
                  `messageUid ${parsed.error.issues[0]?.message ?? 'is invalid'}`,
                );
              uid = parsed.data;
            }
            // Only a line naming its recipient by e-mail waits (for the lookup); the rest render now.
            const byEmail =
              typeof fields === 'object' &&
              fields !== null &&
              !Array.isArray(fields) &&
              fields.contactId === undefined;
            if (!byEmail) return renderLine(line, checkRecipient(fields), uid);
            return resolveRecipient(store, fields, '')
              .then((recipient) => renderLine(line, recipient, uid))
              .catch((error: unknown) => errorLine(line, error));
          } catch (error) {
            return errorLine(line, error);
          }
        },
        { maxLineLength: maxBatchLineLength, tooLong: (line) => errorLine(line, tooLong()) },
      );
      res.end(`${JSON.stringify({ summary: { rendered, failed } })}\n`);
    } catch (error) {
      // The client went away (or the store failed mid-stream): nothing more can be answered.
      res.destroy(error as Error);
    }
  });

  return router;
}

function tooLong(): HttpError {
  return new HttpError('payload_too_large', `a line may be at most ${maxBatchLineLength / 1024} KB`, {
    status: 413,
    field: 'line',
  });
}

/** The line's recipient by contactId (validated like `resolveRecipient`, without a lookup). */
function checkRecipient(fields: unknown): Recipient {
  const id = (fields as { contactId?: unknown } | null)?.contactId;
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw new MessageTemplateError('invalid_recipient', 'each line must be a JSON object', { field: 'line' });
  }
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) {
    throw new MessageTemplateError('invalid_recipient', 'contactId must be a positive integer', {
      field: 'contactId',
    });
  }
  return fields as Recipient;
}
