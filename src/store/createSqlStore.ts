/**
 * @module Composes the verb groups over one `SqlExecutor` into a `Store`. A later part adds its verb
 * group (e.g. webhooks) here and to the `Store` interface.
 */
import type { SqlExecutor } from './sqlExecutor.js';
import type { Store } from './types.js';
import { createContactsVerbs } from './verbs/contactsVerbs.js';
import { createErasureVerbs } from './verbs/erasureVerbs.js';
import { createRetentionVerbs } from './verbs/retentionVerbs.js';
import { createGroupsVerbs } from './verbs/groupsVerbs.js';
import { createLinkUnsubscribesVerbs } from './verbs/linkUnsubscribesVerbs.js';
import { createMembershipsVerbs } from './verbs/membershipsVerbs.js';
import { createOperationsVerbs } from './verbs/operationsVerbs.js';
import { createOutboxSignalVerbs } from './verbs/outboxSignalVerbs.js';
import { createOutboxVerbs } from './verbs/outboxVerbs.js';
import { createSettingsVerbs } from './verbs/settingsVerbs.js';
import { createSmsRepliesVerbs } from './verbs/smsRepliesVerbs.js';
import { createTemplatesVerbs } from './verbs/templatesVerbs.js';
import { createWebhooksVerbs } from './verbs/webhooksVerbs.js';

/** The store over an executor whose migrations have run. */
export function createSqlStore(executor: SqlExecutor): Store {
  return {
    capabilities: executor.capabilities,
    ...createContactsVerbs(executor),
    ...createGroupsVerbs(executor),
    ...createMembershipsVerbs(executor),
    ...createOutboxVerbs(executor),
    ...createSettingsVerbs(executor),
    ...createWebhooksVerbs(executor),
    ...createSmsRepliesVerbs(executor),
    ...createTemplatesVerbs(executor),
    ...createLinkUnsubscribesVerbs(executor),
    ...createOperationsVerbs(executor),
    ...createRetentionVerbs(executor),
    ...createErasureVerbs(executor),
    ...createOutboxSignalVerbs(executor),
    close: () => executor.close(),
  };
}
