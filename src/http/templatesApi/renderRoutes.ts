/**
 * @module Render routes: `POST /render` (one message; JSON, or the whole `.eml` with
 * `Accept: message/rfc822`) and `POST /templates/:id/render` (NDJSON: one recipient per line in,
 * one rendered message or error per line out, in order, streamed; a summary line last).
 */
import { Router } from 'express';
import {
  buildEml,
  MessageTemplateError,
  resolveRecipient,
  templateParts,
} from '../../messageTemplates/index.js';
import { HttpError } from '../errors.js';
import { invalidInput, parseAdminInput } from '../admin/parseAdminInput.js';
import {
  answerRecipient,
  errorLine,
  maxBatchLineLength,
  renderFor,
  tooLong,
  type BatchLookup,
} from './batchLines.js';
import { streamNdjson, type BlockAnswers } from './streamNdjson.js';
import { renderBodySchema, versionQuerySchema } from './templatesApiSchemas.js';
import type { TemplatesApiContext } from './templatesApiRouter.js';
import { templateId } from './templatesRoutes.js';

const batchQuerySchema = versionQuerySchema.extend({ channel: renderBodySchema.shape.channel });

/** The render routes. */
export function renderRoutes(context: TemplatesApiContext): Router {
  const { store, messageTemplates, keyRing, now, renderer } = context;
  const router = Router();

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
    const settings = { baseUrl: context.baseUrl(), channel: body.channel };
    if (req.accepts(['application/json', 'message/rfc822']) !== 'message/rfc822') {
      // Rendered and written as JSON on a render thread: the bytes `res.json` would send.
      const { bytes } = await renderer.answerOne(message, recipient, body.messageUid, {
        ...settings,
        nowMs: now(),
      });
      res
        .set('Content-Type', 'application/json; charset=utf-8')
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return;
    }
    const rendered = renderFor(
      message,
      recipient,
      { ...settings, keyRing, now },
      body.messageUid,
      'recipient.',
    );
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
    const settings = { baseUrl: context.baseUrl(), channel: query.channel };
    let rendered = 0;
    let failed = 0;
    /** Answers a line whose recipient is named by e-mail: looked up here, where the store is. */
    const lookedUp = async (lookup: BatchLookup): Promise<string> => {
      let answer: { ok: boolean; text: string };
      try {
        const recipient = await resolveRecipient(store, lookup.fields, '');
        answer = answerRecipient(message, { ...settings, keyRing, now }, lookup.line, recipient, lookup.uid);
      } catch (error) {
        answer = { ok: false, text: errorLine(lookup.line, error) };
      }
      if (answer.ok) rendered += 1;
      else failed += 1;
      return `${answer.text}\n`;
    };
    const answerBlock = async (block: Uint8Array, firstLine: number): Promise<BlockAnswers> => {
      const answer = await renderer.answerBlock(message, block, firstLine, { ...settings, nowMs: now() });
      rendered += answer.rendered;
      failed += answer.failed;
      const written = answer.release;
      if (answer.lookups.length === 0) return { parts: [answer.bytes], written };
      // The looked-up lines go between the others, in order.
      const parts: Uint8Array[] = [];
      let from = 0;
      try {
        for (const lookup of answer.lookups) {
          parts.push(answer.bytes.subarray(from, lookup.at), Buffer.from(await lookedUp(lookup)));
          from = lookup.at;
        }
      } catch (error) {
        written?.();
        throw error;
      }
      parts.push(answer.bytes.subarray(from));
      return { parts, written };
    };

    res.status(200).type('application/x-ndjson');
    res.flushHeaders();
    try {
      await streamNdjson(req, res, answerBlock, {
        // A line of maxBatchLineLength UTF-16 units takes at most three bytes a unit in UTF-8.
        maxLineBytes: maxBatchLineLength * 3,
        tooLong: (line) => errorLine(line, tooLong()),
        depth: renderer.depth,
      });
      res.end(`${JSON.stringify({ summary: { rendered, failed } })}\n`);
    } catch (error) {
      // The client went away (or the store failed mid-stream): nothing more can be answered.
      res.destroy(error as Error);
    }
  });

  return router;
}
