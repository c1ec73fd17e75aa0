/**
 * @module The answers of `POST /templates/:id/render`, line by line: one block of NDJSON lines in,
 * their answer lines out as UTF-8 bytes (`{line, contactId, subject, html, text, headers, links}`,
 * or `{line, error:{code, message, field}}` for a bad line). The same function runs on the request's
 * thread and in the batch render threads, so both give byte-identical answers. A line that names
 * its recipient by e-mail needs the store, which only the request's thread has: it is handed back
 * as a lookup, with the place its answer goes.
 */
import {
  MessageTemplateError,
  renderMessage,
  renderMessageJson,
  type CompiledMessage,
  type RenderedMessage,
} from '../../messageTemplates/index.js';
import type { KeyRing } from '../../links/index.js';
import type { Channel } from '../../store/index.js';
import { TemplateError, type Recipient } from '../../template/index.js';
import { HttpError, toHttpProblem } from '../errors.js';
import { invalidInput } from '../admin/parseAdminInput.js';
import { messageUidSchema } from './templatesApiSchemas.js';

/** Longest NDJSON line (one recipient with its merge fields), in UTF-16 units. */
export const maxBatchLineLength = 1024 * 1024;

/** What every line of a batch (or one render) renders with (plain data but the key ring: it crosses threads). */
export interface RenderSettings {
  keyRing: KeyRing;
  baseUrl: string;
  /** The links' issued-at clock (ms), read when the block was read. */
  nowMs: number;
  /** `?channel=`, else the template's. */
  channel: Channel | undefined;
}

/** A line left for the request's thread: its recipient is named by e-mail and must be looked up. */
export interface BatchLookup {
  /** Where its answer goes: bytes into the block's answer. */
  at: number;
  line: number;
  fields: Record<string, unknown>;
  uid: string | undefined;
}

/** The answers to one block of lines. */
export interface BlockAnswer {
  /** Answer lines, each ending in a newline, UTF-8. */
  bytes: Uint8Array;
  /** Lines still to answer, in order (usually none). */
  lookups: BatchLookup[];
  rendered: number;
  failed: number;
  /**
   * Call once `bytes` is written (render threads: the memory goes back to the thread, which writes
   * its next block into it).
   */
  release?: () => void;
}

/** The answer line of a line that failed (without newline). */
export function errorLine(line: number, error: unknown): string {
  const problem = toHttpProblem(error, 'api');
  const detail = {
    code: problem.code,
    message: problem.message,
    ...(problem.field ? { field: problem.field } : {}),
  };
  return JSON.stringify({ line, error: detail });
}

/**
 * Renders one recipient, naming the recipient's field in the engine's errors (`prefix` =
 * `recipient.` for a single render, `` for a batch line).
 * @throws MessageTemplateError `invalid_recipient` for what the engine refuses.
 */
export function renderFor(
  message: CompiledMessage,
  recipient: Recipient,
  settings: Omit<RenderSettings, 'nowMs'> & { now: () => number },
  messageUid: string | undefined,
  prefix: string,
): RenderedMessage {
  return withRecipientErrors(prefix, () =>
    renderMessage(message, recipient, renderOptionsOf(message, settings, messageUid)),
  );
}

/** The engine's options for one recipient. */
function renderOptionsOf(
  message: CompiledMessage,
  settings: Omit<RenderSettings, 'nowMs'> & { now: () => number },
  messageUid: string | undefined,
) {
  return {
    keyRing: settings.keyRing,
    baseUrl: settings.baseUrl,
    channel: settings.channel ?? message.channel,
    now: settings.now,
    ...(messageUid === undefined ? {} : { messageUid }),
  };
}

/** Runs a render, turning the engine's errors into `invalid_recipient` naming the field. */
function withRecipientErrors<T>(prefix: string, body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    const field = error.field === undefined ? prefix.replace(/\.$/, '') || 'line' : prefix + error.field;
    throw new MessageTemplateError('invalid_recipient', error.message, { field, cause: error });
  }
}

/**
 * The answer line of a rendered line (without newline): `JSON.stringify({ line, contactId,
 * ...renderMessage(…) })`, with the parts JSON-escaped while they render (`renderMessageJson`).
 */
function successLine(
  message: CompiledMessage,
  settings: Omit<RenderSettings, 'nowMs'> & { now: () => number },
  line: number,
  recipient: Recipient,
  messageUid: string | undefined,
): string {
  // contactId is a safe integer (checked), so it writes as JSON.stringify would write it.
  const lead = `"line":${line},"contactId":${recipient.contactId},`;
  return withRecipientErrors('', () =>
    renderMessageJson(message, recipient, renderOptionsOf(message, settings, messageUid), lead),
  );
}

/** The error of a line over `maxBatchLineLength`. */
export function tooLong(): HttpError {
  return new HttpError('payload_too_large', `a line may be at most ${maxBatchLineLength / 1024} KB`, {
    status: 413,
    field: 'line',
  });
}

/**
 * The JSON answer of `POST /render` for one recipient (`{contactId, subject, html, text, headers,
 * links}`), UTF-8, in memory of its own (it may move to another thread).
 * @throws MessageTemplateError as `renderFor` (fields named `recipient.…`).
 */
export function answerOne(
  message: CompiledMessage,
  settings: RenderSettings,
  recipient: Recipient,
  messageUid: string | undefined,
): { bytes: Uint8Array } {
  const render = { ...settings, now: () => settings.nowMs };
  // contactId is a safe integer (checked), so it writes as JSON.stringify would write it.
  const text = withRecipientErrors('recipient.', () =>
    renderMessageJson(
      message,
      recipient,
      renderOptionsOf(message, render, messageUid),
      `"contactId":${recipient.contactId},`,
    ),
  );
  return { bytes: ownBytes(text) };
}

/** Where `ownBytes` encodes (grown for a larger answer, kept for the next). */
let scratch = Buffer.allocUnsafeSlow(64 * 1024);

/**
 * `text` in UTF-8, in memory of its own of exactly its size: an answer moved to the request's
 * thread counts there as new external memory (V8 runs a full collection when enough has come in),
 * so it should not bring the two thirds of a worst-case buffer it leaves unused.
 */
function ownBytes(text: string): Uint8Array {
  if (text.length * 3 > scratch.length) scratch = Buffer.allocUnsafeSlow(text.length * 3);
  const length = scratch.write(text);
  const bytes = new Uint8Array(length);
  bytes.set(scratch.subarray(0, length));
  return bytes;
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

/** A line's own message uid (`messageUid` or `message_uid`). @throws invalid_input. */
function lineUid(fields: Record<string, unknown> | null): string | undefined {
  const value = fields?.messageUid ?? fields?.message_uid;
  if (value === undefined) return undefined;
  const parsed = messageUidSchema.safeParse(value);
  if (!parsed.success)
    throw invalidInput('messageUid', `messageUid ${parsed.error.issues[0]?.message ?? 'is invalid'}`);
  return parsed.data;
}

/** The answer to a recipient (looked up or not): its line, or its error line. */
export function answerRecipient(
  message: CompiledMessage,
  settings: Omit<RenderSettings, 'nowMs'> & { now: () => number },
  line: number,
  recipient: Recipient,
  uid: string | undefined,
): { ok: boolean; text: string } {
  try {
    return { ok: true, text: successLine(message, settings, line, recipient, uid) };
  } catch (error) {
    return { ok: false, text: errorLine(line, error) };
  }
}

/**
 * Answers a block of NDJSON lines numbered from `firstLine` (each line ends in a newline but maybe
 * the block's last). Blank lines are skipped but counted. The answers are written into `into` when
 * they fit (then `bytes` is a view of it), else into memory of their own.
 */
export function answerBatchLines(
  message: CompiledMessage,
  settings: RenderSettings,
  block: string,
  firstLine: number,
  into?: Buffer,
): BlockAnswer {
  const render = { ...settings, now: () => settings.nowMs };
  // An answer line is tens of times its input line (the HTML and text of a whole message).
  const out = new AnswerBytes(
    into ?? Buffer.allocUnsafeSlow(Math.min(8 << 20, Math.max(4096, block.length * 32))),
  );
  const lookups: BatchLookup[] = [];
  let rendered = 0;
  let failed = 0;
  let line = firstLine - 1;
  for (let start = 0; start < block.length;) {
    let end = block.indexOf('\n', start);
    if (end === -1) end = block.length;
    const text = block.slice(start, end);
    start = end + 1;
    line += 1;
    if (text.length === 0 || (text.charCodeAt(0) <= 32 && text.trim() === '')) continue;
    let answer: string;
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
      const uid = lineUid(fields);
      const byEmail =
        typeof fields === 'object' &&
        fields !== null &&
        !Array.isArray(fields) &&
        fields.contactId === undefined;
      if (byEmail) {
        lookups.push({ at: out.length, line, fields, uid });
        continue;
      }
      const result = answerRecipient(message, render, line, checkRecipient(fields), uid);
      if (result.ok) rendered += 1;
      else failed += 1;
      answer = result.text;
    } catch (error) {
      failed += 1;
      answer = errorLine(line, error);
    }
    out.writeLine(answer);
  }
  return { bytes: out.bytes(), lookups, rendered, failed };
}

/**
 * Answer lines encoded one by one into a growing buffer. Joining the lines first and encoding the
 * joined string took three times as long (the join is flattened, then encoded, a megabyte a block).
 * The buffer is never from Buffer's shared pool, so its memory can move to another thread.
 */
class AnswerBytes {
  #buffer: Buffer;
  length = 0;

  constructor(buffer: Buffer) {
    this.#buffer = buffer;
  }

  writeLine(text: string): void {
    // A UTF-16 unit takes at most three bytes in UTF-8; plus the newline. Near the end, the exact size.
    const most = this.length + text.length * 3 + 1;
    if (most > this.#buffer.length && this.length + Buffer.byteLength(text) + 1 > this.#buffer.length) {
      const larger = Buffer.allocUnsafeSlow(Math.max(this.#buffer.length * 2, most));
      this.#buffer.copy(larger, 0, 0, this.length);
      this.#buffer = larger;
    }
    this.length += this.#buffer.write(text, this.length);
    this.#buffer[this.length++] = 10;
  }

  bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.length);
  }
}
