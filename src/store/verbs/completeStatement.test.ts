/**
 * @module The PostgreSQL completion statement's plan: the batch's results (a JSON recordset) are
 * joined to their deliveries by hashing, not in a nested loop. With the status fenced as
 * `(d.status || '') = 'pending'`, the planner costed the deliveries at one row and put the results
 * on the inner side of a nested loop: every delivery compared with every result, 4,032 comparisons
 * for a batch of 64 and most of the statement's time (docs/postgres-dispatch.md, eighth round).
 */
import { expect, test } from 'vitest';
import {
  postgresAvailable,
  postgresTestDatabase,
  postgresTestUrl,
  testPostgresClient,
} from '../../../test/support/databases.js';
import { openStore } from '../openStore.js';
import { outboxEvent } from '../outboxEvent.js';
import { openPostgresExecutor } from '../postgres/openPostgresExecutor.js';
import type { SqlExecutor, SqlRow } from '../sqlExecutor.js';
import { createCompleteStatement } from './completeStatement.js';

const available = await postgresAvailable('the completion statement check');
const secret = 'whsec_' + Buffer.alloc(24, 3).toString('base64');
const t0 = 1_700_000_000_000;

interface PlanNode {
  [key: string]: unknown;
  'Node Type': string;
  Plans?: PlanNode[];
}

/** Every node of a JSON plan with its chain of parents (nearest first). */
function withParents(node: PlanNode, parents: PlanNode[] = []): [PlanNode, PlanNode[]][] {
  return [[node, parents], ...(node.Plans ?? []).flatMap((child) => withParents(child, [node, ...parents]))];
}

test.skipIf(!available)(
  'the completion joins its results to their deliveries by hashing',
  async (context) => {
    const options = await postgresTestDatabase(context);
    const store = await openStore(options);
    context.onTestFinished(() => store.close());
    await store.putEndpoint({ eventType: null, url: 'http://a.test/', secret, at: t0 });
    await store.appendEvents(
      Array.from({ length: 20_000 }, (_, n) => outboxEvent({ event: 'message sent', n })),
      t0,
    );
    // A backlog of deliveries waiting for a claim (with a few thousand the planner hashed anyway),
    // then a leased batch to complete.
    await store.fanOutPending(t0, 19_000);
    const { claimed = [] } = await store.fanOutPending(t0 + 1, 64, {
      owner: 'w#1',
      leaseMs: 60_000,
      limit: 64,
    });
    expect(claimed).toHaveLength(64);
    const client = await testPostgresClient(context, options.schema);
    await client.query('ANALYZE outbox; ANALYZE deliveries');

    const executor = openPostgresExecutor({ url: postgresTestUrl, schema: options.schema });
    context.onTestFinished(() => executor.close());
    const plans: PlanNode[] = [];
    const explaining: SqlExecutor = {
      ...executor,
      async all<T extends SqlRow>(sql: string, params?: readonly (string | number | null)[]): Promise<T[]> {
        const [row] = await executor.all<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
          `EXPLAIN (FORMAT JSON) ${sql}`,
          params,
        );
        const plan = row?.['QUERY PLAN'][0]?.Plan;
        if (plan) plans.push(plan);
        return executor.all<T>(sql, params);
      },
    };
    const recorded = await createCompleteStatement(explaining)(
      claimed.map((delivery) => ({
        deliveryId: delivery.id,
        owner: 'w#1',
        outcome: 'succeeded' as const,
        at: t0 + 2,
        attempt: { at: t0 + 2, status: 204, durationMs: 3, error: null, responseExcerpt: '' },
      })),
    );
    expect(recorded.every(Boolean)).toBe(true);
    expect(plans).toHaveLength(1);
    const joins = withParents(plans[0] as PlanNode)
      .filter(
        ([node]) => node['Node Type'] === 'Function Scan' && node['Function Name'] === 'json_to_recordset',
      )
      .map(([, parents]) => parents.find((parent) => parent['Node Type'] !== 'Hash')?.['Node Type']);
    expect(joins).toEqual(['Hash Join']);
  },
);
