/** @module Tests of `unsub webhooks test`: pass, fail, refusal without the allow-list, bad input. */
import { afterEach, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type ReceiverHandler } from '../../test/support/webhookReceiver.js';
import { eventSamples } from '../events/index.js';
import { generateSecret, verifyWebhook } from '../webhooks/index.js';
import { webhooksCommand } from './webhooksCommand.js';

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((item) => item.close()));
});

async function receiver(handler?: ReceiverHandler) {
  const started = await startWebhookReceiver(handler);
  opened.push(started);
  return started;
}

async function run(args: string[], env: NodeJS.ProcessEnv = { UNSUB_WEBHOOK_ALLOW: '127.0.0.0/8' }) {
  let out = '';
  let exitCode: number | undefined;
  const command = webhooksCommand({
    stdout: { write: (text: string) => (out += text) },
    env,
    setExitCode: (code) => (exitCode = code),
  });
  await command.parseAsync(args, { from: 'user' });
  return { out, exitCode };
}

describe('unsub webhooks test', () => {
  it('passes on 2xx and exits 0, signing with the given secret', async () => {
    const target = await receiver();
    const secret = generateSecret();
    const { out, exitCode } = await run([
      'test',
      `${target.origin}/in`,
      '--event',
      'complaint',
      '--secret',
      secret,
    ]);
    expect(exitCode).toBe(0);
    expect(out).toMatch(/^ok {3}complaint +204 /m);
    expect(out).toContain(`passed: ${target.origin}/in answered 2xx in time`);
    const [request] = target.requests;
    expect(verifyWebhook(secret, request?.headers ?? {}, request?.body ?? '')).toEqual(
      eventSamples.complaint,
    );
  });

  it('accepts the Cyrillic complaint as --event', async () => {
    const target = await receiver();
    const { exitCode } = await run(['test', target.origin, '--event', '\u0441omplaint']);
    expect(exitCode).toBe(0);
    expect(JSON.parse(target.requests[0]?.body ?? '{}').event).toBe('complaint');
  });

  it('tests every event type without --event and prints the fresh secret', async () => {
    const target = await receiver();
    const { out, exitCode } = await run(['test', target.origin]);
    expect(exitCode).toBe(0);
    expect(target.requests).toHaveLength(13);
    expect(out).toMatch(/signed with a fresh secret whsec_\S+/);
  });

  it('fails with exit 1 on a non-2xx answer, printing the JSON result with --json', async () => {
    const target = await receiver((_req, res) => res.writeHead(503).end('maintenance'));
    const { out, exitCode } = await run(['test', target.origin, '--event', 'message sent', '--json']);
    expect(exitCode).toBe(1);
    expect(JSON.parse(out)).toMatchObject({
      ok: false,
      status: 503,
      response_excerpt: 'maintenance',
      sent: eventSamples['message sent'],
    });
  });

  it('refuses 127.0.0.1 without UNSUB_WEBHOOK_ALLOW, saying how to allow it', async () => {
    const target = await receiver();
    const { out, exitCode } = await run(['test', target.origin, '--event', 'message sent'], {});
    expect(exitCode).toBe(1);
    expect(out).toContain('error: 127.0.0.1 is a loopback address; allow it with UNSUB_WEBHOOK_ALLOW');
    expect(target.requests).toHaveLength(0);
  });

  it('rejects an unknown --event, a bad secret and a bad allow-list with unsub errors', async () => {
    await expect(run(['test', 'http://127.0.0.1/', '--event', 'bounce'])).rejects.toMatchObject({
      code: 'unknown_event',
    });
    await expect(run(['test', 'http://127.0.0.1/', '--secret', 'nope'])).rejects.toMatchObject({
      code: 'invalid_secret',
    });
    await expect(run(['test', 'http://127.0.0.1/'], { UNSUB_WEBHOOK_ALLOW: 'lan' })).rejects.toMatchObject({
      code: 'invalid_cidr',
    });
  });
});
