/**
 * @module The benchmark's webhook receiver, in its own process so that its CPU is not counted
 * against the dispatcher or the raw loop: answers every POST with 204 after reading the body, and
 * prints its port as the first line of stdout. Run with `node --import tsx bench/dispatchReceiver.ts`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const server = http.createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  request.resume();
  request.on('end', () => response.writeHead(204).end());
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
