/**
 * @module Receiver example in Express: verify each signed webhook before trusting it.
 * Run: UNSUB_RECEIVER_SECRET=whsec_… npx tsx examples/receiver-express.ts (the endpoint's secret
 * from `GET /api/webhooks`; during a rotation give both secrets, separated by a space).
 */
import express from 'express';
import { verifyWebhookDelivery, WebhookVerificationError } from 'unsub';

const secrets = (process.env.UNSUB_RECEIVER_SECRET ?? '').split(' ').filter(Boolean);
const app = express();

// express.raw keeps the exact bytes: the signature covers the body as sent, not re-serialised JSON.
app.post('/webhooks/unsub', express.raw({ type: 'application/json', limit: '1mb' }), (req, res) => {
  try {
    const { event, id, seq } = verifyWebhookDelivery(secrets, req.headers, req.body as Buffer);
    // At least once: the same id may come again after a retry, so handle it idempotently; and keep
    // the highest seq applied per contact, ignoring an older one (see "order and sequence headers").
    console.log(`${id} #${seq} ${event.event}`);
    res.sendStatus(204);
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
    res.status(400).json({ code: error.code }); // unsigned, tampered or replayed: not from unsub
  }
});

const server = app.listen(Number(process.env.PORT ?? 4000), () => {
  const address = server.address();
  const port = typeof address === 'object' ? address?.port : address;
  console.log(`receiving webhooks on http://localhost:${port}/webhooks/unsub`);
});
