/**
 * @module The client of `bench/renderHttp.bench.ts`, run in a CHILD process so that it does not
 * compete with the server for the event loop: POSTs one NDJSON batch of `lines` recipients (made
 * from examples/recipients.ndjson, contact ids renumbered) to `/api/templates/:id/render`, streams
 * the body in and reads the answer lines as they come, and reports how long the whole batch took.
 *
 * Input: one JSON file path as argv[2] holding a `BatchJob`; or `--jobs`, then one `BatchJob` per stdin
 * line (the bench keeps one client for every batch).
 * Output: one JSON line `{ lines, answered, seconds, summary, cpuSeconds }` per job.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

/** What the parent asks for. */
export interface BatchJob {
  origin: string;
  token: string;
  templateId: number;
  lines: number;
}

/** What the client reports. */
export interface BatchResult {
  lines: number;
  answered: number;
  seconds: number;
  summary: { rendered: number; failed: number };
  /** The client's own CPU seconds (it shares the machine's cores with the server). */
  cpuSeconds: number;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examples = readFileSync(path.join(root, 'examples', 'recipients.ndjson'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Record<string, unknown>);

/** The batch body as a stream of 1,000-line chunks, generated as it is sent (memory stays flat). */
function body(lines: number): Readable {
  let sent = 0;
  return Readable.from(
    (function* () {
      while (sent < lines) {
        let chunk = '';
        for (let i = 0; i < 1000 && sent < lines; i++, sent++) {
          const example = examples[sent % examples.length]!;
          chunk += `${JSON.stringify({ ...example, contactId: sent + 1 })}\n`;
        }
        // Bytes, not the string: undici would measure the string (flattening the rope) and encode it apart.
        yield Buffer.from(chunk);
      }
    })(),
  );
}

/** Sends one batch and reads every answer line. */
export async function runBatch(job: BatchJob): Promise<BatchResult> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const response = await request(`${job.origin}/api/templates/${job.templateId}/render`, {
    method: 'POST',
    headers: { authorization: `Bearer ${job.token}`, 'content-type': 'application/x-ndjson' },
    body: body(job.lines),
  });
  if (response.statusCode !== 200)
    throw new Error(`status ${response.statusCode}: ${await response.body.text()}`);
  // Lines are counted on the bytes (no decoding): the client shares the machine's cores with the
  // server, and what it spends is not the server's work. Only the last line is decoded.
  let answered = 0;
  let tail: Buffer = Buffer.alloc(0);
  let lastLine: Buffer = Buffer.alloc(0);
  for await (const chunk of response.body) {
    const bytes = chunk as Buffer;
    let start = 0;
    for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, start)) {
      answered++;
      lastLine =
        start === 0 && tail.length > 0
          ? Buffer.concat([tail, bytes.subarray(0, at)])
          : bytes.subarray(start, at);
      if (start === 0) tail = Buffer.alloc(0);
      start = at + 1;
    }
    // Keep only a short tail: the summary line is short, and a long answer line is never decoded.
    const rest = bytes.subarray(start);
    tail = start === 0 ? Buffer.concat([tail, rest]).subarray(-4096) : Buffer.from(rest.subarray(-4096));
  }
  const seconds = (performance.now() - started) / 1000;
  const last = JSON.parse(lastLine.toString('utf8')) as { summary?: BatchResult['summary'] };
  if (!last.summary)
    throw new Error(`the answer did not end with a summary: ${lastLine.toString('utf8').slice(0, 200)}`);
  const used = process.cpuUsage(cpu);
  return {
    lines: job.lines,
    answered,
    seconds,
    summary: last.summary,
    cpuSeconds: (used.user + used.system) / 1e6,
  };
}

if (process.argv[2] === '--jobs') {
  // Long-lived: one job per stdin line, one result line each, so the client runs warm (JIT, undici's
  // connection) from its second job on, as a real sender's would; a cold client is not the server's cost.
  const lines = createInterface({ input: process.stdin });
  for await (const text of lines) {
    if (text.trim() === '') continue;
    try {
      process.stdout.write(`${JSON.stringify(await runBatch(JSON.parse(text) as BatchJob))}\n`);
    } catch (error) {
      process.stdout.write(`${JSON.stringify({ error: String(error) })}\n`);
    }
  }
} else if (process.argv[2]) {
  const job = JSON.parse(readFileSync(process.argv[2], 'utf8')) as BatchJob;
  runBatch(job).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`batch client failed: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
