/**
 * @module The outbox signal verbs (`OutboxSignalStore`): the executor's notifications on channel
 * `unsub_outbox`, which migration 9's trigger notifies at every commit that appended events.
 */
import type { OutboxSignalStore } from '../outboxSignalTypes.js';
import type { SqlExecutor } from '../sqlExecutor.js';

/** The channel migration 9's trigger notifies (payload: the schema). */
export const outboxChannel = 'unsub_outbox';

/** The outbox signal over one executor; a no-op on a backend without notifications. */
export function createOutboxSignalVerbs(executor: SqlExecutor): OutboxSignalStore {
  const notifications = executor.notifications;
  if (notifications === undefined) {
    return { outboxSignal: 'none', onOutboxAppended: () => () => undefined };
  }
  return {
    outboxSignal: 'all-processes',
    onOutboxAppended: (listener) => notifications.listen(outboxChannel, listener),
  };
}
