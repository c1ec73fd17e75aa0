/** @module Tests of parsing untrusted event bodies, one or a batch, and the Cyrillic alias. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventSamples, normalizeEventName, parseEvent, parseEvents } from './index.js';

const cyrillic = '\u0441omplaint';

describe('normalizeEventName', () => {
  it('maps the Cyrillic spelling of complaint to Latin and leaves others alone', () => {
    expect(cyrillic).not.toBe('complaint');
    expect(normalizeEventName(cyrillic)).toBe('complaint');
    expect(normalizeEventName('complaint')).toBe('complaint');
    expect(normalizeEventName('message sent')).toBe('message sent');
    expect(normalizeEventName('Complaint')).toBe('Complaint');
  });
});

describe('parseEvent', () => {
  it('accepts the Cyrillic complaint and returns it in Latin', () => {
    const result = parseEvent({ ...eventSamples.complaint, event: cyrillic });
    expect(result).toEqual({ ok: true, event: eventSamples.complaint });
  });

  it('names the valid event types when the name is unknown or missing', () => {
    const unknown = parseEvent({ event: 'message bounced' });
    expect(unknown).toMatchObject({ ok: false, issues: [{ path: ['event'], code: 'unknown_event' }] });
    expect(!unknown.ok && unknown.issues[0]?.message).toContain('"delivery bounce"');
    expect(parseEvent({ message_id: 4 })).toMatchObject({ ok: false, issues: [{ code: 'unknown_event' }] });
  });

  it('names each unknown key in its own issue, with the key as the path', () => {
    const result = parseEvent({ ...eventSamples['message sent'], extra_field: 1, other: 'x' });
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          path: ['extra_field'],
          code: 'unrecognized_keys',
          message: '"extra_field" is not a field of "message sent" events; remove it',
        },
        expect.objectContaining({ path: ['other'], code: 'unrecognized_keys' }),
      ],
    });
    const batch = parseEvents([
      eventSamples['message open'],
      { ...eventSamples.complaint, extra_field: true },
    ]);
    expect(!batch.ok && batch.issues.map(({ index, path }) => [index, ...path].join('.'))).toEqual([
      '1.extra_field',
    ]);
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = parseEvent(value);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
    for (const value of [null, undefined, 'complaint', 42, [], Object.create(null)]) {
      expect(parseEvent(value)).toMatchObject({ ok: false });
    }
  });
});

describe('parseEvents', () => {
  it('accepts one event or an array', () => {
    expect(parseEvents(eventSamples['message sent'])).toEqual({
      ok: true,
      events: [eventSamples['message sent']],
    });
    const all = Object.values(eventSamples);
    expect(parseEvents(all)).toEqual({ ok: true, events: all });
  });

  it('is all or nothing, with the index and path of every issue', () => {
    const result = parseEvents([
      eventSamples['message open'],
      { ...eventSamples['message open'], message_id: 'four' },
      eventSamples['contact adding'],
      { event: 'nope' },
    ]);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues.map(({ index, path }) => ({ index, path }))).toEqual([
      { index: 1, path: ['message_id'] },
      { index: 3, path: ['event'] },
    ]);
  });

  it('gives index 0 for a single invalid event', () => {
    const result = parseEvents({ event: 'complaint' });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues.length).toBe(6);
    expect(!result.ok && result.issues.every((issue) => issue.index === 0)).toBe(true);
  });
});
