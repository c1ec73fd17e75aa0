/** @module The dispatcher options every dispatching process (`serve`, `worker`) takes from the configuration. */
import type { Config } from '../config/index.js';
import type { DispatcherOptions } from './createDispatcher.js';

/** UNSUB_WEBHOOK_ALLOW, UNSUB_WEBHOOK_TIMEOUT_MS, UNSUB_WEBHOOK_*CONCURRENCY, UNSUB_RETRY_SCHEDULE and UNSUB_WEBHOOK_POLL_MS as options. */
export function dispatcherOptionsFromConfig(
  config: Config,
): Pick<
  DispatcherOptions,
  'allow' | 'timeoutMs' | 'concurrency' | 'perEndpointConcurrency' | 'schedule' | 'pollMs'
> {
  return {
    allow: config.webhookAllow,
    timeoutMs: config.webhookTimeoutMs,
    concurrency: config.webhookConcurrency,
    perEndpointConcurrency: config.webhookEndpointConcurrency,
    ...(config.retryScheduleMs ? { schedule: config.retryScheduleMs } : {}),
    pollMs: config.webhookPollMs,
  };
}
