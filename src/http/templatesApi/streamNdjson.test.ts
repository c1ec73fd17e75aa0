/**
 * @module `streamNdjson` splits a body into blocks of whole lines however the chunks fall (in the
 * middle of a line or of a UTF-8 character), numbers the lines, answers an over-long line once and
 * skips it, and writes the answers in order even when later blocks are answered first.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { streamNdjson } from './streamNdjson.js';

/**
 * Answers each line of a block as `number:text` (blank lines not at all; over 40 bytes `too long`,
 * the limit a handler applies to the lines the stream hands it), after a random delay.
 */
async function echo(block: Uint8Array, firstLine: number, random: () => number): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 3)));
  const text = Buffer.from(block).toString('utf8');
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  const answers = lines.map((line, index) => {
    if (line.trim() === '') return '';
    return `${firstLine + index}:${Buffer.byteLength(line) > 40 ? 'too long' : line}\n`;
  });
  return answers.join('');
}

async function run(body: Buffer, cuts: number[], random: () => number, depth: number): Promise<string> {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, body.length]) {
    chunks.push(body.subarray(from, cut));
    from = cut;
  }
  const req = Readable.from(chunks.filter((chunk) => chunk.length > 0)) as unknown as IncomingMessage;
  let out = '';
  let answered = 0;
  let calledBack = 0;
  const res = new Writable({
    highWaterMark: 64,
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString('utf8');
      setImmediate(done);
    },
  }) as unknown as ServerResponse;
  const handle = async (block: Uint8Array, first: number) => {
    const text = await echo(block, first, random);
    answered += 1;
    // Told once its bytes are out (render threads reuse the memory then).
    const written = () => {
      if (out.includes(text)) calledBack += 1;
    };
    return { parts: [Buffer.from(text)], written };
  };
  await streamNdjson(req, res, handle, {
    maxLineBytes: 40,
    tooLong: (line) => `${line}:too long`,
    depth,
  });
  // Answers handed to `res` may still be in its buffer: end it (as the route does) and let it finish.
  await new Promise((resolve) => res.end(resolve));
  expect(calledBack).toBe(answered);
  return out;
}

/** A small deterministic generator (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('streamNdjson', () => {
  const lines = [
    'first',
    '',
    'Привет, мир — ✓',
    'x'.repeat(60),
    '   ',
    'after the long one',
    '😀 four bytes',
  ];
  const body = Buffer.from(`${lines.join('\n')}\nlast without newline`);
  const expected = [
    '1:first',
    '3:Привет, мир — ✓',
    '4:too long',
    '6:after the long one',
    '7:😀 four bytes',
    '8:last without newline',
  ].join('\n');

  it('answers every line in order, whatever the chunks and the order blocks finish in', async () => {
    const random = seeded(9);
    for (let round = 0; round < 60; round++) {
      const cuts = Array.from({ length: Math.floor(random() * 12) }, () =>
        Math.floor(random() * body.length),
      ).sort((a, b) => a - b);
      const out = await run(body, cuts, random, 1 + (round % 4));
      expect(out.trimEnd(), `cuts ${cuts.join(',')}`).toBe(expected);
    }
  });

  it('answers a body that is one over-long line, and one without any newline', async () => {
    expect(await run(Buffer.from('y'.repeat(100)), [30, 70], seeded(1), 2)).toBe('1:too long\n');
    expect(await run(Buffer.from('only'), [2], seeded(1), 2)).toBe('1:only\n');
    expect(await run(Buffer.from(''), [], seeded(1), 2)).toBe('');
  });
});
