/**
 * @module The NDJSON batch render streams both ways: answers leave while the client is still
 * sending, and a client that stops reading the answers stops the server reading its lines
 * (backpressure), so nothing piles up in the server's memory. (Memory of a 100,000-line batch is
 * measured by `npm run bench:render-http`, not here.)
 */
import http from 'node:http';
import { once } from 'node:events';
import { describe, expect, test } from 'vitest';
import { sqliteTestDatabase } from '../support/databases.js';
import { startTemplatesApi, token } from './templatesHarness.js';

const backend = { name: 'sqlite' as const, makeDatabase: sqliteTestDatabase };
const template = {
  name: 'T',
  subject: 'Hi {{first_name}}',
  html: '<p>{{first_name}}</p> <<link_unsubscribe>>',
};

/** Opens a streaming batch request; the caller writes the body. */
function openBatch(baseUrl: string, id: number) {
  const url = new URL(`/api/templates/${id}/render`, baseUrl);
  const request = http.request(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
  });
  const response = once(request, 'response').then(([res]) => res as http.IncomingMessage);
  return { request, response };
}

describe('the NDJSON batch render streams', () => {
  test('the first answers arrive before the last lines are sent', async (context) => {
    const { api, baseUrl } = await startTemplatesApi(context, backend);
    const { body } = await api('POST', '/templates', template);
    const { request, response } = openBatch(baseUrl, body.id as number);
    request.write(`${JSON.stringify({ contactId: 1, first_name: 'One' })}\n`);
    const res = await response;
    res.setEncoding('utf8');
    let received = '';
    const chunks = res[Symbol.asyncIterator]() as AsyncIterator<string>;
    const nextLine = async () => {
      while (!received.includes('\n')) received += (await chunks.next()).value as string;
      const line = received.slice(0, received.indexOf('\n'));
      received = received.slice(line.length + 1);
      return JSON.parse(line) as Record<string, unknown>;
    };
    // The request is still open: this answer left before the client sent its next line.
    expect(await nextLine()).toMatchObject({ line: 1, contactId: 1, subject: 'Hi One' });
    request.write(`${JSON.stringify({ contactId: 2, first_name: 'Two' })}\n`);
    expect(await nextLine()).toMatchObject({ line: 2, subject: 'Hi Two' });
    request.end(JSON.stringify({ contactId: 3, first_name: 'Three' }));
    expect(await nextLine()).toMatchObject({ line: 3, subject: 'Hi Three' });
    expect(await nextLine()).toEqual({ summary: { rendered: 3, failed: 0 } });
  });

  test('a client that does not read the answers stops the server reading its lines', async (context) => {
    const { api, baseUrl } = await startTemplatesApi(context, backend);
    const { body } = await api('POST', '/templates', {
      ...template,
      html: `${'<p>padding</p>'.repeat(200)} <<link_unsubscribe>>`,
    });
    const { request, response } = openBatch(baseUrl, body.id as number);
    const lines = 20_000;
    // About 1 KB a line, 20 MB in all: far more than the sockets' buffers hold.
    const padding = 'x'.repeat(1000);
    const line = (n: number) => `${JSON.stringify({ contactId: n, first_name: `Reader ${n}`, padding })}\n`;
    let total = 0;
    for (let n = 1; n <= lines; n++) {
      const text = line(n);
      total += Buffer.byteLength(text);
      request.write(text);
    }
    request.end();
    const res = await response;
    expect(res.statusCode).toBe(200);
    res.pause(); // read nothing: the server's answers back up, then it must stop reading lines
    // Wait until the bytes the client could not yet hand to the kernel stop shrinking.
    const unsent = () => request.socket!.writableLength;
    let last = -1;
    while (unsent() !== last) {
      last = unsent();
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    // The server stopped reading: most of the body is still waiting on the client's side.
    expect(unsent()).toBeGreaterThan(total / 2);
    // Reading again lets everything through, in order, with the summary last.
    res.setEncoding('utf8');
    res.resume();
    let text = '';
    for await (const chunk of res) text += chunk as string;
    const answers = text.trim().split('\n');
    expect(answers).toHaveLength(lines + 1);
    expect(JSON.parse(answers[lines - 1]!)).toMatchObject({ line: lines, contactId: lines });
    expect(JSON.parse(answers[lines]!)).toEqual({ summary: { rendered: lines, failed: 0 } });
  });
});
