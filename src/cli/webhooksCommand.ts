/**
 * @module `unsub webhooks test URL [--event NAME]`: the test-before-save of the settings page from
 * the command line. Sends the event's sample (or every sample), signed, and exits 0 only on 2xx.
 */
import { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { UnsubError } from '../errors/index.js';
import { eventTypes, isEventType, normalizeEventName } from '../events/index.js';
import {
  createAddressPolicy,
  createWebhookSender,
  decodeSecret,
  generateSecret,
  testWebhookUrl,
  type HostLookup,
  type WebhookTestResult,
} from '../webhooks/index.js';

/** Where the command reads its environment and writes (tests pass their own). */
export interface WebhooksCommandIo {
  stdout: { write(text: string): unknown };
  /** The environment for `loadConfig` (default `process.env`, read there). */
  env?: NodeJS.ProcessEnv;
  /** Receives 0 when the test passed, 1 otherwise (default sets `process.exitCode`). */
  setExitCode?: (code: number) => void;
  /** Host name resolution, for tests. */
  lookup?: HostLookup;
}

/** An unknown `--event` name. */
export class UnknownEventError extends UnsubError<'unknown_event'> {}

function formatResult(url: string, result: WebhookTestResult, generatedSecret: string | undefined): string {
  const lines = result.attempts.map((attempt) => {
    const outcome = attempt.status === null ? (attempt.error?.code ?? 'no response') : String(attempt.status);
    return `${attempt.ok ? 'ok  ' : 'FAIL'} ${attempt.event.padEnd(32)} ${outcome.padEnd(8)} ${attempt.duration_ms} ms`;
  });
  if (result.error) lines.push(`error: ${result.error.message}`);
  if (result.response_excerpt) lines.push(`response: ${result.response_excerpt.slice(0, 500)}`);
  if (generatedSecret)
    lines.push(`signed with a fresh secret ${generatedSecret} (pass --secret to use yours)`);
  lines.push(
    result.ok
      ? `passed: ${url} answered 2xx in time`
      : `failed: ${url} did not pass (only a 2xx within the timeout passes)`,
  );
  return lines.join('\n') + '\n';
}

/** Builds `unsub webhooks` with its `test` subcommand. */
export function webhooksCommand(io: WebhooksCommandIo = { stdout: process.stdout }): Command {
  const setExitCode =
    io.setExitCode ??
    ((code: number) => {
      process.exitCode = code;
    });
  const test = new Command('test')
    .description(
      'POST the sample body of an event type (default: every type) to URL, signed; exit 0 only on 2xx',
    )
    .argument('<url>', 'the webhook URL to test')
    .option('--event <name>', `one event type (${eventTypes.join(', ')})`)
    .option('--secret <whsec>', 'sign with this secret (default: a fresh one, printed)')
    .option('--json', 'print the result as JSON (the POST /api/webhooks/test shape)')
    .action(async (url: string, options: { event?: string; secret?: string; json?: boolean }) => {
      const event = options.event === undefined ? undefined : normalizeEventName(options.event);
      if (event !== undefined && !isEventType(event)) {
        throw new UnknownEventError(
          'unknown_event',
          `--event "${options.event}" is not one of: ${eventTypes.join(', ')}`,
          {
            field: 'event',
          },
        );
      }
      if (options.secret !== undefined) decodeSecret(options.secret);
      const config = loadConfig(io.env);
      const sender = createWebhookSender({
        policy: createAddressPolicy({ allow: config.webhookAllow }),
        timeoutMs: config.webhookTimeoutMs,
        ...(io.lookup ? { lookup: io.lookup } : {}),
      });
      const secret = options.secret ?? generateSecret();
      try {
        const result = await testWebhookUrl({ url, ...(event ? { event } : {}), sender, secrets: secret });
        io.stdout.write(
          options.json
            ? JSON.stringify(result, null, 2) + '\n'
            : formatResult(url, result, options.secret ? undefined : secret),
        );
        setExitCode(result.ok ? 0 : 1);
      } finally {
        await sender.close();
      }
    });
  return new Command('webhooks').description('webhook tools').addCommand(test);
}
