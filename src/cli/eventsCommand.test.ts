/** @module Tests of `unsub events`: text and JSON listings of the catalog. */
import { describe, expect, it } from 'vitest';
import { eventSamples, eventTypes, parseEvent } from '../events/index.js';
import { eventsCommand } from './eventsCommand.js';

async function run(args: string[]): Promise<string> {
  let out = '';
  await eventsCommand({ stdout: { write: (text: string) => (out += text) } }).parseAsync(args, {
    from: 'user',
  });
  return out;
}

describe('unsub events', () => {
  it('lists every type with its fields and sample', async () => {
    const out = await run([]);
    for (const type of eventTypes) {
      expect(out.split('\n')).toContain(type);
      expect(out).toContain(`  sample: ${JSON.stringify(eventSamples[type])}`);
    }
    expect(out).toMatch(/ {2}sending_type +instant\|scheduled\|regular\|byAPI\|byEvent\|DOI\|scenario\n/);
    expect(out).toMatch(/ {2}groups_ids +integer\[\]\n/);
    expect(out).toMatch(/ {2}channel +email\|sms\n/);
  });

  it('prints JSON with a JSON Schema and the sample per type', async () => {
    const entries = JSON.parse(await run(['--json'])) as {
      event: string;
      schema: { required: string[] };
      sample: unknown;
    }[];
    expect(entries.map((entry) => entry.event)).toEqual([...eventTypes]);
    for (const entry of entries) {
      expect(parseEvent(entry.sample).ok).toBe(true);
      expect(entry.schema.required).toEqual(Object.keys(entry.sample as object));
    }
  });
});
