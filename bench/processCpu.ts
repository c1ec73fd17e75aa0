/**
 * @module CPU time of other processes for the benchmarks, read from `/proc/<pid>/stat` (Linux): the
 * dispatch bench splits a PostgreSQL worker's cost into the worker's own CPU and the CPU of the
 * server backends serving its connections, which other load on a shared machine disturbs far less
 * than wall-clock rates. Elsewhere (no `/proc`) every reading is 0.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';

/** Clock ticks per second of `/proc/<pid>/stat` (USER_HZ, 100 on Linux). */
const ticksPerSecond = 100;

/** User + system CPU ms of process `pid` so far (0 when it is gone or there is no `/proc`). */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/**
 * The server backends of every connection that named itself `applicationName`, and their CPU:
 * call `read()` before and after the measured part. A backend that appears only in the second
 * reading counts its whole CPU (it connected during the run).
 */
export function backendCpu(url: string, applicationName: string) {
  return {
    async read(): Promise<Map<number, number>> {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ pid: number }>(
          'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
          [applicationName],
        );
        return new Map(rows.map(({ pid }) => [pid, processCpuMs(pid)]));
      } finally {
        await client.end();
      }
    },
  };
}

/** CPU ms used between two `backendCpu(…).read()` results. */
export function cpuBetween(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** `url` with `application_name` set, so that the server's backends of these connections can be found. */
export function withApplicationName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', name);
  return parsed.toString();
}
