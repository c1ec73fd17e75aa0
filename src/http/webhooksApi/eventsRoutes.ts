/**
 * @module `POST /events` (under `/api`): other services report events (one or an array). All or
 * nothing: every item is validated against the catalog (the Cyrillic `сomplaint` normalised) before
 * any is appended to the outbox; then each is announced on the event bus, which wakes the dispatcher.
 */
import { Router } from 'express';
import { parseEvents, type EventBus, type EventBatchIssue } from '../../events/index.js';
import type { Store } from '../../store/index.js';
import { HttpError, toHttpProblem } from '../errors.js';

/** Most events in one request (the admin body limit also applies). */
export const maxEventsPerRequest = 1000;

/** Options of {@link eventsRoutes}. */
export interface EventsRoutesOptions {
  store: Store;
  /** Where accepted events are announced after they are stored. */
  bus?: Pick<EventBus, 'emit'>;
  now: () => number;
}

/** The `field` of an issue: `events.<index>.<path>` for an array, `<path>` for a single event. */
function issueField(issue: EventBatchIssue, batch: boolean): string {
  const parts = [...(batch ? [String(issue.index)] : []), ...issue.path.map(String)];
  return parts.length === 0 ? 'body' : parts.join('.');
}

/** The event ingestion route. */
export function eventsRoutes({ store, bus, now }: EventsRoutesOptions): Router {
  const router = Router();

  router.post('/events', async (req, res) => {
    const body: unknown = req.body;
    const batch = Array.isArray(body);
    if (batch && body.length === 0) {
      throw new HttpError('invalid_input', 'send at least one event', { status: 422, field: 'body' });
    }
    if (batch && body.length > maxEventsPerRequest) {
      throw new HttpError('payload_too_large', `send at most ${maxEventsPerRequest} events per request`, {
        status: 413,
        field: 'body',
      });
    }
    const parsed = parseEvents(body);
    if (!parsed.ok) {
      const first = parsed.issues[0] as EventBatchIssue;
      const field = issueField(first, batch);
      const items = new Set(parsed.issues.map((issue) => issue.index)).size;
      const problem = toHttpProblem(
        new HttpError(
          'invalid_event',
          `${items === 1 ? 'an event is' : `${items} events are`} not valid, nothing was stored; first: ${field}: ${first.message}`,
          { status: 422, field },
        ),
        'api',
      );
      // The standard error body plus every issue (index + path), so a client can fix all at once.
      res
        .status(problem.status)
        .set('Cache-Control', 'no-store')
        .json({
          error: {
            code: problem.code,
            message: problem.message,
            field: problem.field,
            issues: parsed.issues,
          },
        });
      return;
    }
    const stored = await store.appendEvents(
      parsed.events.map((event) => ({ type: event.event, body: JSON.stringify(event) })),
      now(),
    );
    // After the commit, as the subscriptions part does: a throwing handler never loses the events.
    for (const event of parsed.events) bus?.emit(event);
    res.status(202).json({ accepted: stored.length, ids: stored.map((row) => row.id) });
  });

  return router;
}
