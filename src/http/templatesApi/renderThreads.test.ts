/**
 * @module The render threads answer byte for byte what the request's thread answers (the
 * same key ring, clock and lines), including error lines and the places of lines to look up, and
 * compile a template again when a thread has dropped it; a single render's answer and refusal too.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { KeyRing } from '../../links/index.js';
import { compileMessage, MessageTemplateError, type CompiledMessage } from '../../messageTemplates/index.js';
import { parseGroupCatalog } from '../../template/index.js';
import { localRenderer, renderThreads } from './renderThreads.js';

const catalog = parseGroupCatalog(JSON.parse(readFileSync('examples/groups.json', 'utf8')));
const newsletter = readFileSync('examples/newsletter.hbs', 'utf8');
const examples = readFileSync('examples/recipients.ndjson', 'utf8').split('\n').filter(Boolean);

function compiled(subject: string, html: string): CompiledMessage {
  const result = compileMessage({ channel: 'email', subject, html, text: null }, catalog);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.message;
}

const keyRing = KeyRing.generate({ maxAgeDays: 90 });
const threads = renderThreads({ threads: 2, keyRing });
afterAll(() => threads.close());

/** Lines that take every path: rendered, bad JSON, bad ids and uids, by e-mail, blank, Cyrillic. */
const lines = [
  examples[0],
  '{not json',
  examples[1],
  JSON.stringify({ first_name: 'no id' }),
  '',
  '   ',
  JSON.stringify({ email: 'ann@example.com', messageUid: 'uid-1' }),
  JSON.stringify({ contactId: 7, first_name: 'Tom & <Jerry>', messageUid: 'has space' }),
  JSON.stringify({ contactId: 8, first_name: 'Юлия', message_uid: 'uid-8', lang: 'ru' }),
  '[1, 2]',
  JSON.stringify({ contactId: -1 }),
  examples[2],
  JSON.stringify({ email: 'ghost@example.com' }),
  JSON.stringify({ contactId: 9, articles: 'not a list', city: '"quoted" \\ back\nslash' }),
];
const block = new TextEncoder().encode(`${lines.join('\n')}\n${examples[3]}`);
const settings = { baseUrl: 'https://unsub.example.com', nowMs: Date.UTC(2026, 11, 1), channel: undefined };

describe('render threads', () => {
  it('answer a block byte for byte as the request thread does', async () => {
    const message = compiled('Weekly for {{first_name}}', newsletter);
    const local = await localRenderer(keyRing).answerBlock(message, block, 41, settings);
    const threaded = await threads.answerBlock(message, block.slice(), 41, settings);
    expect(Buffer.from(threaded.bytes).toString('utf8')).toBe(Buffer.from(local.bytes).toString('utf8'));
    expect(threaded.lookups).toEqual(local.lookups);
    expect([threaded.rendered, threaded.failed]).toEqual([local.rendered, local.failed]);

    const answers = Buffer.from(local.bytes).toString('utf8').trim().split('\n');
    const parsed = answers.map((text) => JSON.parse(text) as { line: number; error?: { code: string } });
    expect(parsed.map((answer) => answer.line)).toEqual([41, 42, 43, 48, 49, 50, 51, 52, 54, 55]);
    expect(parsed.filter((answer) => answer.error).map((answer) => answer.error!.code)).toEqual([
      'malformed_json',
      'invalid_input',
      'invalid_recipient',
      'invalid_recipient',
    ]);
    expect(local.lookups.map((lookup) => [lookup.line, lookup.uid])).toEqual([
      [44, undefined], // neither contactId nor e-mail: the lookup answers why, as for one render
      [47, 'uid-1'],
      [53, undefined],
    ]);
    // Each lookup's answer goes where its line was: after the answers of the lines before it.
    const before = (at: number) =>
      Buffer.from(local.bytes.subarray(0, at)).toString('utf8').split('\n').length - 1;
    expect(local.lookups.map((lookup) => before(lookup.at))).toEqual([3, 3, 8]);
    expect([local.rendered, local.failed]).toEqual([6, 4]);
  });

  it('compile each template once per thread and again after a thread dropped it', async () => {
    const many = Array.from({ length: 40 }, (_, n) =>
      compiled(`Issue ${n} for {{first_name}}`, `<p>${n}</p><a href="<<link_unsubscribe>>">x</a>`),
    );
    const one = new TextEncoder().encode(`${examples[0]}\n`);
    // More templates than a thread keeps, then the first ones again.
    for (const message of [...many, ...many.slice(0, 4)]) {
      const answer = await threads.answerBlock(message, one.slice(), 1, settings);
      const local = await localRenderer(keyRing).answerBlock(message, one, 1, settings);
      expect(Buffer.from(answer.bytes).toString('utf8')).toBe(Buffer.from(local.bytes).toString('utf8'));
    }
  });

  it('answer into buffers shared with the thread, reused only once released, larger after an overflow', async () => {
    const message = compiled('Weekly for {{first_name}}', newsletter);
    const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
    // More answers than a first buffer holds (about 1.5 MB): they come in memory of their own.
    const big = new TextEncoder().encode(
      Array.from({ length: 200 }, (_, n) => `${examples[n % examples.length]}\n`).join(''),
    );
    const expected = text((await localRenderer(keyRing).answerBlock(message, big, 1, settings)).bytes);
    const first = await threads.answerBlock(message, big.slice(), 1, settings);
    expect(text(first.bytes)).toBe(expected);
    first.release?.();
    // Then in a shared buffer made larger; one not yet released is never written into.
    const second = await threads.answerBlock(message, big.slice(), 1, settings);
    expect(second.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    const held = text(second.bytes);
    const third = await threads.answerBlock(message, block.slice(), 41, settings);
    expect(third.bytes.buffer).not.toBe(second.bytes.buffer);
    expect(text(second.bytes)).toBe(held);
    expect(held).toBe(expected);
    second.release?.();
    third.release?.();
    const fourth = await threads.answerBlock(message, block.slice(), 41, settings);
    const local = await localRenderer(keyRing).answerBlock(message, block, 41, settings);
    expect(text(fourth.bytes)).toBe(text(local.bytes));
    fourth.release?.();
  });

  it('render one recipient to the JSON answer, and refuse it, as the request thread does', async () => {
    const message = compiled('Weekly for {{first_name}}', newsletter);
    const recipient = JSON.parse(examples[1]!) as { contactId: number };
    const local = await localRenderer(keyRing).answerOne(message, recipient, 'uid-9', settings);
    const threaded = await threads.answerOne(message, recipient, 'uid-9', settings);
    expect(Buffer.from(threaded.bytes).toString('utf8')).toBe(Buffer.from(local.bytes).toString('utf8'));
    expect(JSON.parse(Buffer.from(local.bytes).toString('utf8'))).toMatchObject({
      contactId: recipient.contactId,
      subject: expect.stringMatching(/^Weekly for /),
    });
    // The newsletter's UnsubscribeRedirect has no compact form: an SMS render of it is refused.
    const sms = { ...settings, channel: 'sms' as const };
    const refusal = expect.objectContaining({ code: 'invalid_recipient', field: 'recipient.links' });
    await expect(localRenderer(keyRing).answerOne(message, recipient, undefined, sms)).rejects.toEqual(
      refusal,
    );
    await expect(threads.answerOne(message, recipient, undefined, sms)).rejects.toEqual(refusal);
    await expect(threads.answerOne(message, recipient, undefined, sms)).rejects.toBeInstanceOf(
      MessageTemplateError,
    );
  });

  it('send the renders of one turn together and give each caller its own answer, a block among them', async () => {
    const message = compiled('Weekly for {{first_name}}', newsletter);
    const recipients = Array.from({ length: 24 }, (_, n) => ({
      ...(JSON.parse(examples[n % examples.length]!) as object),
      contactId: 100 + n,
    }));
    const sms = { ...settings, channel: 'sms' as const };
    // All asked in one turn: singles (every fifth refused), and a block in the middle.
    const asked = recipients.map((recipient, n) =>
      threads.answerOne(message, recipient, `uid-${n}`, n % 5 === 4 ? sms : settings).then(
        (answer) => Buffer.from(answer.bytes).toString('utf8'),
        (error: MessageTemplateError) => error.code,
      ),
    );
    const blockAnswer = threads.answerBlock(message, block.slice(), 41, settings);
    const local = localRenderer(keyRing);
    const expected = await Promise.all(
      recipients.map((recipient, n) =>
        local.answerOne(message, recipient, `uid-${n}`, n % 5 === 4 ? sms : settings).then(
          (answer) => Buffer.from(answer.bytes).toString('utf8'),
          (error: MessageTemplateError) => error.code,
        ),
      ),
    );
    expect(await Promise.all(asked)).toEqual(expected);
    expect(expected.filter((answer) => answer === 'invalid_recipient')).toHaveLength(4);
    const threaded = await blockAnswer;
    const localBlock = await local.answerBlock(message, block, 41, settings);
    expect(Buffer.from(threaded.bytes).toString('utf8')).toBe(Buffer.from(localBlock.bytes).toString('utf8'));
    threaded.release?.();
  });
});
