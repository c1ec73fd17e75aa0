/**
 * @module Runs the store contract on PostgreSQL (one schema per test). Skips with a visible warning
 * when the server is unreachable, unless `UNSUB_TEST_DATABASE_URL` is set (then it fails).
 */
import { expect, test } from 'vitest';
import { postgresAvailable, postgresTestDatabase, postgresTestUrl } from '../../test/support/databases.js';
import { openStore } from './openStore.js';
import { runOrderingContract } from './orderingContract.js';
import { runRetentionContract } from './retentionContract.js';
import { runStoreContract } from './storeContract.js';
import { runTemplatesContract } from './templatesContract.js';
import { runWebhooksContract } from './webhooksContract.js';
import { runSmsRepliesContract } from './smsRepliesContract.js';
import { runOperationsContract } from './operationsContract.js';
import { runStatsRollupsContract } from './statsRollupsContract.js';

const available = await postgresAvailable('the PostgreSQL store suite');

runStoreContract({ name: 'postgres', makeDatabase: postgresTestDatabase, skip: !available });
runWebhooksContract({ name: 'postgres', makeDatabase: postgresTestDatabase, skip: !available });
runOrderingContract({ name: 'postgres', makeDatabase: postgresTestDatabase, skip: !available });
runSmsRepliesContract({ name: 'postgres', makeDatabase: postgresTestDatabase, skip: !available });
runTemplatesContract({ name: 'postgres', makeDatabase: postgresTestDatabase, skip: !available });
runOperationsContract({ name: 'postgres', makeDatabase: postgresTestDatabase, skip: !available });
runRetentionContract({ name: 'postgres', makeDatabase: postgresTestDatabase, skip: !available });
runStatsRollupsContract({ name: 'postgres', makeDatabase: postgresTestDatabase, skip: !available });

test.skipIf(!available)('postgres: refuses a schema name that is not a plain identifier', async () => {
  await expect(openStore({ databaseUrl: postgresTestUrl, schema: 'a"; drop' })).rejects.toMatchObject({
    code: 'invalid_option',
    field: 'schema',
  });
});

test('postgres: an unreachable server is a clear store error naming the URL without password', async () => {
  await expect(openStore({ databaseUrl: 'postgres://u:secret@127.0.0.1:1/x' })).rejects.toMatchObject({
    code: 'unavailable',
    message: expect.stringMatching(/^cannot open the database at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x/),
  });
});
