/** @module Tests of the in-process event bus: typing, order, removal and failure isolation. */
import { describe, expect, it, vi } from 'vitest';
import { createEventBus, eventSamples, type EventBus, type EventBusError } from './index.js';

describe('createEventBus', () => {
  it('calls the handlers of the type, then the wildcard ones, in order', () => {
    const bus = createEventBus();
    const seen: string[] = [];
    bus.on('*', (event) => seen.push(`* ${event.event}`));
    bus.on('mailing group unsubscribe', (event) => seen.push(`1 ${event.group_id}`));
    bus.on('mailing group unsubscribe', () => seen.push('2'));
    bus.on('message sent', () => seen.push('never'));
    bus.emit(eventSamples['mailing group unsubscribe']);
    expect(seen).toEqual(['1 4', '2', '* mailing group unsubscribe']);
  });

  it('removes handlers with off or with the returned function', () => {
    const bus = createEventBus();
    const handler = vi.fn();
    const other = vi.fn();
    bus.on('complaint', handler);
    const dispose = bus.on('*', other);
    bus.off('complaint', handler);
    dispose();
    bus.emit(eventSamples.complaint);
    expect(handler).not.toHaveBeenCalled();
    expect(other).not.toHaveBeenCalled();
  });

  it('normalises the Cyrillic complaint before dispatch', () => {
    const bus = createEventBus();
    const handler = vi.fn();
    bus.on('complaint', handler);
    bus.emit({ ...eventSamples.complaint, event: '\u0441omplaint' });
    expect(handler).toHaveBeenCalledWith(eventSamples.complaint);
  });

  it('reports a throwing handler and still runs the others; emit never throws', () => {
    const errors: EventBusError[] = [];
    const bus = createEventBus({ onError: (error) => errors.push(error) });
    const after = vi.fn();
    bus.on('message open', () => {
      throw new Error('boom');
    });
    bus.on('message open', after);
    expect(() => bus.emit(eventSamples['message open'])).not.toThrow();
    expect(after).toHaveBeenCalledOnce();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'handler_failed' });
    expect(errors[0]?.message).toContain('boom');
  });

  it('reports a rejecting async handler', async () => {
    const onError = vi.fn();
    const bus = createEventBus({ onError });
    bus.on('*', async () => {
      throw new Error('later');
    });
    bus.emit(eventSamples['message clicked']);
    await vi.waitFor(() => expect(onError).toHaveBeenCalledOnce());
    expect(onError.mock.calls[0]?.[0]).toMatchObject({ code: 'handler_failed' });
  });

  it('survives an onError that throws, and reports unknown event types', () => {
    const bus = createEventBus({
      onError: () => {
        throw new Error('reporter down');
      },
    });
    bus.on('*', () => {
      throw new Error('x');
    });
    expect(() => bus.emit(eventSamples['message sent'])).not.toThrow();
    const onError = vi.fn();
    createEventBus({ onError }).emit({ event: 'unknown thing' });
    expect(onError.mock.calls[0]?.[0]).toMatchObject({ code: 'unknown_event' });
  });

  it('lets a handler remove the next one while an emit is running without skipping it', () => {
    const bus = createEventBus();
    const second = vi.fn();
    bus.on('message sent', () => bus.off('message sent', second));
    bus.on('message sent', second);
    bus.emit(eventSamples['message sent']);
    expect(second).toHaveBeenCalledOnce();
    bus.emit(eventSamples['message sent']);
    expect(second).toHaveBeenCalledOnce();
  });

  it('refuses to listen to a name outside the catalog', () => {
    expect(() => createEventBus().on('nope' as 'complaint', () => {})).toThrow(/not an event type/);
  });

  it('fits the subscriptions part’s local bus type (method and property forms)', () => {
    type MethodBus = { emit(event: { event: string } & Record<string, unknown>): void };
    type PropertyBus = { emit: (event: { event: string } & Record<string, unknown>) => void };
    const bus: EventBus = createEventBus();
    const asMethod: MethodBus = bus;
    const asProperty: PropertyBus = bus;
    expect(asMethod).toBe(asProperty);
  });
});
