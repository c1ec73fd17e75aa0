/**
 * @module Example webhook receiver: a small node:http server that verifies unsub's signed POSTs
 * with `verifyWebhookDelivery` and prints each event. Delivery is at least once, so it also skips a
 * `webhook-id` it has already handled. And it keeps subscription state right when an older event
 * arrives late (a replay, a manual retry): for every membership (contact e-mail + group) it keeps
 * the highest `unsub-event-seq` applied and ignores an event with a lower one. unsub delivers one
 * contact's subscription events in commit order, so this only ever drops stale repeats.
 *
 * Run it with the endpoint's secret (shown by `GET /api/webhooks`) in UNSUB_RECEIVER_SECRET:
 *
 *     UNSUB_RECEIVER_SECRET=whsec_… PORT=4000 npx tsx examples/receiver.ts
 *
 * During a secret rotation put both secrets in UNSUB_RECEIVER_SECRET, separated by a space.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { verifyWebhookDelivery, WebhookVerificationError, type MailingEvent } from 'unsub';

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

/**
 * The memberships a subscription event is about (`email` + group id), or none for other events.
 * A real receiver would keep these in its database, beside the mirrored state.
 */
function membershipsOf(event: MailingEvent): string[] {
  if (event.event === 'mailing group subscribe' || event.event === 'mailing group unsubscribe')
    return [`${event.email}\u0000${event.group_id}`];
  if (event.event === 'contact adding')
    return event.groups_ids.map((group) => `${event.email}\u0000${group}`);
  return [];
}

/** Creates the receiver (not yet listening). */
export function createReceiver({ secrets, onEvent = printEvent }: ReceiverOptions): Server {
  const seen = new Set<string>();
  /** Highest `unsub-event-seq` applied per membership. */
  const highestSeq = new Map<string, number>();
  /** Whether the event is older than what was applied for every membership it is about (the
   * test-before-save samples all carry seq 0: they never overwrite a real event). */
  const stale = (event: MailingEvent, seq: number | null): boolean => {
    const keys = membershipsOf(event);
    if (seq === null || keys.length === 0) return false;
    if (keys.every((key) => (highestSeq.get(key) ?? -1) > seq)) return true;
    for (const key of keys) highestSeq.set(key, Math.max(seq, highestSeq.get(key) ?? -1));
    return false;
  };
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
      const { event, id, seq } = verifyWebhookDelivery(secrets, req.headers, body);
      if (!seen.has(id)) {
        seen.add(id);
        if (seen.size > 10_000) seen.delete(seen.values().next().value as string);
        // An older event than the state already applied (a replay): acknowledge, do not apply.
        if (!stale(event, seq)) onEvent(event, id);
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
