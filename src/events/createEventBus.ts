/**
 * @module An in-process typed emitter of catalog events for library users. Subscriptions emit on it
 * after their transaction commits; a handler that throws or rejects is reported to `onError` and
 * never reaches the emitter, so it can never cost a webhook delivery or a page response.
 */
import { UnsubError } from '../errors/index.js';
import type { EventOf, EventType, MailingEvent } from './eventSchemas.js';
import { isEventType, normalizeEventName } from './parseEvent.js';

/** A handler; may be async (a rejection is reported like a throw). Its return value is ignored. */
export type EventHandler<E> = (event: E) => unknown;

/** What went wrong while emitting: a handler failed, or the event's type is not in the catalog. */
export class EventBusError extends UnsubError<'handler_failed' | 'unknown_event'> {}

/** Options of {@link createEventBus}. */
export interface EventBusOptions {
  /**
   * Receives every handler failure (and emits of unknown types). Default: one line on stderr.
   * Whatever it throws is swallowed too.
   */
  onError?: (error: EventBusError, event: { event: string }) => void;
}

/** The typed emitter returned by {@link createEventBus}. */
export interface EventBus {
  /** Calls `handler` for every event of `type`; returns a function that removes it. Throws `EventBusError` for a name outside the catalog (a programmer error). */
  on<K extends EventType>(type: K, handler: EventHandler<EventOf<K>>): () => void;
  /** Calls `handler` for every event. */
  on(type: '*', handler: EventHandler<MailingEvent>): () => void;
  /** Removes a handler added with `on` (no-op when absent). */
  off<K extends EventType>(type: K, handler: EventHandler<EventOf<K>>): void;
  /** Removes a handler added with `on('*', …)` (no-op when absent). */
  off(type: '*', handler: EventHandler<MailingEvent>): void;
  /**
   * Runs the handlers of the event's type, then the `*` handlers, synchronously and in the order
   * they were added; returns without waiting for async handlers. Never throws. The parameter is as
   * wide as the subscriptions part's local bus type; the name must be a catalog name (the Cyrillic
   * `сomplaint` alias is normalised) and fields are not re-validated.
   */
  emit(event: MailingEvent | ({ event: string } & Record<string, unknown>)): void;
}

/** The default `onError`: a library must not throw from here, but must not hide failures either. */
function reportToStderr(error: EventBusError): void {
  process.stderr.write(`unsub: ${error.message}\n`);
}

/** Creates an in-process event bus. */
export function createEventBus(options: EventBusOptions = {}): EventBus {
  const onError = options.onError ?? reportToStderr;
  const handlers = new Map<string, EventHandler<MailingEvent>[]>();

  function report(error: EventBusError, event: { event: string }): void {
    try {
      onError(error, event);
    } catch {
      // The error reporter failed too; emit must still return normally.
    }
  }

  function handlerFailed(type: string, cause: unknown, event: { event: string }): void {
    const detail = cause instanceof Error ? cause.message : String(cause);
    report(
      new EventBusError('handler_failed', `a "${type}" event handler failed: ${detail}`, { cause }),
      event,
    );
  }

  function add(type: string, handler: EventHandler<MailingEvent>): () => void {
    if (type !== '*' && !isEventType(type)) {
      throw new EventBusError(
        'unknown_event',
        `cannot listen to "${type}": not an event type of the catalog`,
      );
    }
    handlers.set(type, [...(handlers.get(type) ?? []), handler]);
    return () => remove(type, handler);
  }

  function remove(type: string, handler: EventHandler<MailingEvent>): void {
    const list = handlers.get(type);
    const index = list?.indexOf(handler) ?? -1;
    // Copy on write, so an `off` inside a running handler does not skip the next one.
    if (list && index >= 0)
      handlers.set(
        type,
        list.filter((_, i) => i !== index),
      );
  }

  function emit(input: { event: string }): void {
    const type = normalizeEventName(input.event);
    if (!isEventType(type)) {
      report(
        new EventBusError('unknown_event', `emitted "${input.event}", not an event type of the catalog`),
        input,
      );
      return;
    }
    const event = (type === input.event ? input : { ...input, event: type }) as MailingEvent;
    for (const key of [type, '*']) {
      for (const handler of handlers.get(key) ?? []) {
        try {
          const result = handler(event);
          if (result instanceof Promise) {
            result.then(undefined, (cause: unknown) => handlerFailed(type, cause, event));
          }
        } catch (cause) {
          handlerFailed(type, cause, event);
        }
      }
    }
  }

  return {
    on: add as EventBus['on'],
    off: remove as EventBus['off'],
    emit,
  };
}
