/**
 * @module The load generator of `bench/http.bench.ts`, run in a CHILD process so that it does not
 * compete with the server for the event loop: an undici Pool at a fixed concurrency sends requests
 * to the given paths in order for a fixed time (or until the paths run out, unless they cycle) and
 * reports throughput and latency percentiles on stdout.
 *
 * Input: one JSON file path as argv[2] holding a `LoadJob`.
 * Output: one JSON line `{ count, seconds, rps, p50Ms, p99Ms, errors, statuses }`.
 */
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';

/** What the parent asks for. */
export interface LoadJob {
  origin: string;
  method: 'GET' | 'POST';
  paths: string[];
  body?: string;
  contentType?: string;
  /** More request headers (e.g. `authorization`). */
  headers?: Record<string, string>;
  concurrency: number;
  /** Stop sending after this long. */
  durationMs: number;
  /** Start over at the first path when the list runs out (GETs); otherwise stop (one write per path). */
  cycle?: boolean;
}

/** What the generator reports. */
export interface LoadResult {
  count: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  statuses: Record<string, number>;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Sends every request of `job` and measures. */
export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const pool = new Pool(job.origin, { connections: job.concurrency, pipelining: 1 });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  let errors = 0;
  const headers =
    job.contentType || job.headers
      ? { ...job.headers, ...(job.contentType ? { 'content-type': job.contentType } : {}) }
      : undefined;
  const started = performance.now();
  const deadline = started + job.durationMs;
  const worker = async () => {
    while (performance.now() < deadline && (job.cycle || next < job.paths.length)) {
      const index = next++ % job.paths.length;
      const sent = performance.now();
      try {
        const response = await pool.request({
          path: job.paths[index] as string,
          method: job.method,
          ...(headers ? { headers } : {}),
          ...(job.body === undefined ? {} : { body: job.body }),
        });
        await response.body.dump();
        statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - sent);
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  const sorted = Float64Array.from(latencies).sort();
  return {
    count: latencies.length,
    seconds,
    rps: latencies.length / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    errors,
    statuses,
  };
}

if (process.argv[2]) {
  const job = JSON.parse(readFileSync(process.argv[2], 'utf8')) as LoadJob;
  runLoad(job).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`load generator failed: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
