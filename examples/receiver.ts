/**
 * @module Example webhook receiver: a small node:http server that verifies unsub's signed POSTs
 * with `verifyWebhook` and prints each event. Delivery is at least once, so it also skips a
 * `webhook-id` it has already handled.
 *
 * Run it with the endpoint's secret (shown by `GET /api/webhooks`) in UNSUB_RECEIVER_SECRET:
 *
 *     UNSUB_RECEIVER_SECRET=whsec_… PORT=4000 npx tsx examples/receiver.ts
 *
 * During a secret rotation put both secrets in UNSUB_RECEIVER_SECRET, separated by a space.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { verifyWebhook, WebhookVerificationError, type MailingEvent } from 'unsub';

/** Options of {@link createReceiver}. */
export interface ReceiverOptions {
  /** The endpoint's secret(s), `whsec_…`. */
  secrets: string | string[];
  /** Called once per new event (default: print it). */
  onEvent?: (event: MailingEvent, id: string) => void;
}

const maxBodyBytes = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Creates the receiver (not yet listening). */
export function createReceiver({ secrets, onEvent = printEvent }: ReceiverOptions): Server {
  const seen = new Set<string>();
  return createServer(async (req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const body = await readBody(req).catch(() => undefined);
    if (!body) {
      res.writeHead(413).end();
      return;
    }
    try {
      // Verify the raw bytes: parsing and re-serialising the JSON first would break the signature.
      const event = verifyWebhook(secrets, req.headers, body);
      const id = String(req.headers['webhook-id']);
      if (!seen.has(id)) {
        seen.add(id);
        if (seen.size > 10_000) seen.delete(seen.values().next().value as string);
        onEvent(event, id);
      }
      res.writeHead(204).end();
    } catch (error) {
      if (error instanceof WebhookVerificationError) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: error.code, message: error.message }));
      } else {
        console.error(error); // e.g. a malformed secret: our bug, not the sender's
        res.writeHead(500).end();
      }
    }
  });
}

function printEvent(event: MailingEvent, id: string): void {
  // The union is discriminated on `event`: each branch sees that event's fields.
  switch (event.event) {
    case 'mailing group unsubscribe':
      console.log(`${id}: ${event.email} left group ${event.group_id} (${event.group_name})`);
      break;
    case 'delivery bounce':
      console.log(`${id}: message ${event.message_uid} to ${event.to} bounced: ${event.error_message}`);
      break;
    default:
      console.log(`${id}: ${event.event}`, JSON.stringify(event));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const secrets = (process.env.UNSUB_RECEIVER_SECRET ?? '').split(' ').filter(Boolean);
  if (secrets.length === 0) {
    console.error('Set UNSUB_RECEIVER_SECRET to the endpoint secret (whsec_…).');
    process.exit(1);
  }
  const port = Number(process.env.PORT ?? 4000);
  createReceiver({ secrets }).listen(port, () =>
    console.log(`receiving webhooks on http://localhost:${port}/`),
  );
}
