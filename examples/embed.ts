/**
 * @module Embedder example: unsub's store, public pages and webhook dispatcher inside your own
 * Node.js process, instead of running `unsub serve`.
 * Run: npx tsx examples/embed.ts (SQLite in ./data; PORT picks the port, 0 any free one).
 */
import { createApp, createDispatcher, createEventBus, createSubscriptions, KeyRing, openStore } from 'unsub';

// SQLite by default; { databaseUrl: 'postgres://…' } for several processes on one database.
const store = await openStore({ sqlitePath: './data/unsub.db' });
const keyRing = await KeyRing.load('./data/keys.json', { create: true });

// Subscription changes commit their events to the outbox; the bus wakes the dispatcher at once.
const bus = createEventBus();
const subscriptions = createSubscriptions({ store, bus });
const dispatcher = createDispatcher({ store, bus });

// The public pages: /u/:token (confirm, RFC 8058 one-click), /m/:token (manager), /healthz.
const app = createApp({ store, subscriptions, keyRing, baseUrl: 'https://unsub.example.com' });
const server = app.listen(Number(process.env.PORT ?? 8080), () => {
  dispatcher.start();
  const address = server.address();
  console.log(`listening on http://localhost:${typeof address === 'object' ? address?.port : address}`);
});

// Stop taking requests, let attempts in flight finish and record them, then close the store.
process.once('SIGTERM', () => {
  server.close(async () => {
    await dispatcher.stop();
    await store.close();
  });
  server.closeIdleConnections(); // keep-alive sockets would otherwise hold the close for seconds
});
