/** @module Tests of the catalog: schemas and samples against the seed's `samples.json`. */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventSamples, eventSchemas, eventTypes, parseEvent, type MailingEvent } from './index.js';

// The seed's samples.json, copied into the repo so the test needs nothing outside the checkout; when
// the shared seed folder sits beside the checkout, the copy must still equal it.
const fixture = new URL('../../test/fixtures/seed-samples.json', import.meta.url);
const sharedSeed = new URL('../../../shared/seed/samples.json', import.meta.url);
const seed = JSON.parse(readFileSync(fixture, 'utf8')) as {
  samples: Record<string, unknown>[];
};

it.runIf(existsSync(sharedSeed))('the fixture is the shared seed samples.json, unchanged', () => {
  expect(JSON.parse(readFileSync(sharedSeed, 'utf8'))).toEqual(seed);
});

describe('event catalog', () => {
  it('has the 13 event types of the seed, in its order', () => {
    expect(eventTypes).toHaveLength(13);
    expect(seed.samples.map((sample) => sample.event)).toEqual([...eventTypes]);
    expect(Object.keys(eventSchemas)).toEqual([...eventTypes]);
    expect(Object.keys(eventSamples)).toEqual([...eventTypes]);
  });

  it.each(seed.samples.map((sample) => [sample.event as string, sample] as const))(
    'the %s sample is the seed body, key for key and byte for byte',
    (type, sample) => {
      const ours = eventSamples[type as keyof typeof eventSamples];
      expect(JSON.stringify(ours)).toBe(JSON.stringify(sample));
      const parsed = parseEvent(sample);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(JSON.stringify(parsed.event)).toBe(JSON.stringify(sample));
    },
  );

  it('samples are frozen', () => {
    expect(() => {
      (eventSamples['contact adding'].groups_ids as number[]).push(3);
    }).toThrow(TypeError);
  });

  it('reorders fields to the catalog order, so bodies serialise the same way', () => {
    const shuffled = {
      to: 'b@x',
      from: 'a@x',
      name: 'n',
      sending_type: 'DOI',
      message_uid: 'u',
      message_id: 1,
    };
    const parsed = parseEvent({ ...shuffled, event: 'message open' });
    expect(parsed.ok && Object.keys(parsed.event)).toEqual([
      'event',
      'message_id',
      'message_uid',
      'sending_type',
      'name',
      'from',
      'to',
    ]);
  });

  it.each(['instant', 'scheduled', 'regular', 'byAPI', 'byEvent', 'DOI', 'scenario'])(
    'accepts sending_type %s',
    (sendingType) => {
      expect(parseEvent({ ...eventSamples['message sent'], sending_type: sendingType }).ok).toBe(true);
    },
  );

  it('rejects unknown fields, missing fields and wrong types with their path', () => {
    const extra = parseEvent({ ...eventSamples['message sent'], extra: 1 });
    expect(extra.ok || extra.issues[0]).toMatchObject({ code: 'unrecognized_keys' });
    const { error_message: _dropped, ...missing } = eventSamples['delivery bounce'];
    expect(parseEvent(missing)).toMatchObject({ ok: false, issues: [{ path: ['error_message'] }] });
    const badId = parseEvent({ ...eventSamples['contact adding'], groups_ids: [0, 1.5] });
    expect(badId).toMatchObject({ ok: false, issues: [{ path: ['groups_ids', 1] }] });
    const badChannel = parseEvent({ ...eventSamples['mailing group subscribe'], channel: 'fax' });
    expect(badChannel).toMatchObject({ ok: false, issues: [{ path: ['channel'] }] });
    const badSending = parseEvent({ ...eventSamples['message sent'], sending_type: 'bulk' });
    expect(badSending).toMatchObject({ ok: false, issues: [{ path: ['sending_type'] }] });
  });

  it('discriminates the union on `event` for TypeScript', () => {
    const describeEvent = (event: MailingEvent): string =>
      event.event === 'mailing group unsubscribe' ? `${event.email} left ${event.group_name}` : event.event;
    expect(describeEvent(eventSamples['mailing group unsubscribe'])).toBe(
      'user@gmail.com left Person unsubscribe (test)',
    );
  });
});
