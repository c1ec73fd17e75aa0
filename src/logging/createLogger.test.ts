/** @module The process logger: JSON or pretty by format and terminal, UNSUB_LOG levels, errors under `err`. */
import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { createLogger } from './createLogger.js';
import { serverLogFrom } from './serverLog.js';

function capture(options: Omit<Parameters<typeof createLogger>[0], 'destination'>) {
  const lines: string[] = [];
  // A real stream: pino-pretty writes to it as a stream (pino alone only needs `write`).
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger({ ...options, destination });
  return { log: serverLogFrom(logger), lines };
}

describe('createLogger', () => {
  test('json: one object per line with level, time and message; errors serialised under err', () => {
    const { log, lines } = capture({ level: 'info', format: 'json' });
    log.info('listening on http://localhost:8080');
    log.error('the store failed', new Error('boom'));
    const [first, second] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(first).toMatchObject({ level: 30, name: 'unsub', msg: 'listening on http://localhost:8080' });
    expect(first?.time).toEqual(expect.any(Number));
    expect(second).toMatchObject({
      level: 50,
      msg: 'the store failed',
      err: { type: 'Error', message: 'boom' },
    });
  });

  test('UNSUB_LOG=error keeps warnings and errors, silent keeps nothing', () => {
    const quiet = capture({ level: 'error', format: 'json' });
    quiet.log.info('hidden');
    quiet.log.warn('a new signing key was created');
    quiet.log.error('failed');
    expect(quiet.lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
      'a new signing key was created',
      'failed',
    ]);
    const silent = capture({ level: 'silent', format: 'json' });
    silent.log.error('nothing');
    expect(silent.lines).toEqual([]);
  });

  test('pretty when asked or on a terminal; auto off a terminal is JSON', () => {
    const pretty = capture({ level: 'info', format: 'pretty' });
    pretty.log.info('hello there');
    expect(pretty.lines.join('')).toMatch(/INFO.*hello there/);
    expect(() => JSON.parse(pretty.lines[0] ?? '')).toThrow();
    const tty = capture({ level: 'info', format: 'auto', isTty: true });
    tty.log.info('on a terminal');
    expect(tty.lines.join('')).toMatch(/INFO.*on a terminal/);
    const pipe = capture({ level: 'info', format: 'auto', isTty: false });
    pipe.log.info('piped');
    expect(JSON.parse(pipe.lines[0] ?? '')).toMatchObject({ msg: 'piped' });
  });
});
