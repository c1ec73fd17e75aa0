/**
 * @module The webhook side of a server process, built from the configuration: one SSRF-guarded
 * sender, the settings service (shared by `/api/webhooks` and the console), the metrics registry
 * and, unless `UNSUB_WORKER=false`, the durable dispatcher woken by committed events.
 */
import { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import type { EventBus } from '../events/index.js';
import type { Store } from '../store/index.js';
import {
  createAddressPolicy,
  createDispatcher,
  createPruner,
  readRetentionDays,
  registerErasureMetrics,
  registerMaintenanceMetrics,
  createWebhookSender,
  createWebhookSettings,
  dispatcherOptionsFromConfig,
  type Dispatcher,
  type DispatcherLogger,
  type Pruner,
  type WebhookSender,
  type WebhookSettings,
} from '../webhooks/index.js';

/** What `createWebhookParts` builds. */
export interface WebhookParts {
  /** The sender of test POSTs (the dispatcher has its own pool, sized by its concurrency). */
  sender: WebhookSender;
  settings: WebhookSettings;
  registry: Registry;
  /** Undefined when this process does not dispatch (`UNSUB_WORKER=false`). */
  dispatcher: Dispatcher | undefined;
  /** The retention job, beside the dispatcher (undefined without one). */
  pruner: Pruner | undefined;
  /** Pokes the dispatcher (no-op without one). */
  wake(): void;
  /** Starts the dispatcher (if any). */
  start(): void;
  /** Stops the dispatcher (finishing attempts in flight) and closes the sender. */
  stop(): Promise<void>;
}

/** Builds the webhook parts of a process; nothing runs until `start()`. */
export function createWebhookParts(options: {
  config: Config;
  store: Store;
  bus: EventBus;
  now: () => number;
  logger: DispatcherLogger;
}): WebhookParts {
  const { config, store, bus, now } = options;
  const policy = createAddressPolicy({ allow: config.webhookAllow });
  const sender = createWebhookSender({ policy, timeoutMs: config.webhookTimeoutMs, now });
  const settings = createWebhookSettings({ store, sender, now });
  const registry = new Registry();
  registerErasureMetrics(registry, store, now);
  registerMaintenanceMetrics(registry, store);
  const dispatcher = config.runWorker
    ? createDispatcher({
        store,
        ...dispatcherOptionsFromConfig(config),
        now,
        metrics: registry,
        bus,
        logger: options.logger,
      })
    : undefined;
  // Retention runs where dispatch runs: a web-only process (UNSUB_WORKER=false) leaves it to those.
  const pruner = config.runWorker
    ? createPruner({
        store,
        retentionDays: async () => (await readRetentionDays(store, config.retentionDays)).days,
        auditRetentionDays: config.auditRetentionDays,
        now,
        logger: options.logger,
      })
    : undefined;
  return {
    sender,
    settings,
    registry,
    dispatcher,
    pruner,
    wake: () => dispatcher?.wake(),
    start: () => {
      dispatcher?.start();
      pruner?.start();
    },
    stop: async () => {
      try {
        await pruner?.stop();
        await dispatcher?.stop();
      } finally {
        await sender.close();
      }
    },
  };
}
