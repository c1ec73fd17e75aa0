/**
 * @module `unsub contacts import` on every available backend: a good CSV/NDJSON file imports (and
 * merges) in one go; a file with bad rows reports each as FILE:LINE and imports nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test, type TestContext } from 'vitest';
import { openTestStore, testBackends } from '../../test/support/databases.js';
import { openStore } from '../store/index.js';
import { createSubscriptions } from '../subscriptions/index.js';
import { contactsCommand } from './contactsCommand.js';

const backends = await testBackends('the PostgreSQL contacts import suite');

describe.each(backends)('unsub contacts import on $name', (backend) => {
  const setUp = async (context: TestContext, isTTY = false) => {
    const options = await backend.makeDatabase(context);
    const store = await openTestStore(context, options);
    const subscriptions = createSubscriptions({ store, now: () => 1 });
    const news = await subscriptions.createGroup({ name: 'Новости', systemName: 'news', channel: 'email' });
    const offers = await subscriptions.createGroup({
      name: 'Offers',
      systemName: 'offers',
      channel: 'email',
    });
    const ann = await subscriptions.createContact({ email: 'ann@x.test', phone: '111', groupIds: [news.id] });
    await subscriptions.unsubscribe({
      contactId: ann.id,
      channel: 'email',
      groupIds: [news.id],
      source: 'link',
    });
    const out = { stdout: '', stderr: '' };
    // A fresh command per run: commander keeps state from one parse to the next.
    const command = () =>
      contactsCommand({
        stdout: { write: (text: string) => (out.stdout += text) },
        stderr: { write: (text: string) => (out.stderr += text), isTTY },
        openStore: () => openStore(options),
      });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unsub-import-'));
    context.onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const run = (name: string, text: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      return { file, done: command().parseAsync(['import', file], { from: 'user' }) };
    };
    return { store, news, offers, ann, out, run };
  };

  test('a good CSV imports new contacts and merges existing ones in one go', async (context) => {
    const { store, news, offers, ann, out, run } = await setUp(context, true);
    const csv = [
      'Email,phone,first_name,last_name,groups,City',
      'bob@x.test,+7 912 000-00-00,Bob,,news;offers,Riga',
      '"ANN@x.test",,Ann,Lee,"[""news"",""offers""]",',
      '',
    ].join('\n');
    await run('contacts.csv', csv).done;
    expect(out.stdout).toMatch(/imported 2 contacts from .*contacts\.csv: 1 created, 1 updated/);
    expect(out.stderr).toContain('2/2\n');
    const bob = await store.findContactByEmail('bob@x.test');
    expect(bob).toMatchObject({
      phone: '+79120000000',
      firstName: 'Bob',
      lastName: null,
      extra: { City: 'Riga' },
    });
    expect(await store.getContact(ann.id)).toMatchObject({ phone: '111', firstName: 'Ann', lastName: 'Lee' });
    // Ann's unsubscribe from news stands; she joins offers.
    expect((await store.getMemberships(ann.id)).map((m) => [m.group.id, m.state])).toEqual([
      [news.id, 'unsubscribed'],
      [offers.id, 'subscribed'],
    ]);
    const events = (await store.listOutbox({ limit: 100 })).slice(-2).map((event) => JSON.parse(event.body));
    expect(events).toEqual([
      {
        event: 'contact adding',
        email: 'bob@x.test',
        phone: '+79120000000',
        groups_names: ['Новости', 'Offers'],
        groups_ids: [news.id, offers.id],
      },
      {
        event: 'mailing group subscribe',
        email: 'ann@x.test',
        group_id: offers.id,
        group_name: 'Offers',
        channel: 'email',
      },
    ]);
  });

  test('a file with bad rows lists each as FILE:LINE field message and imports nothing', async (context) => {
    const { store, out, run } = await setUp(context);
    const csv = [
      'email,groups,phone',
      'ok@x.test,news,',
      'not-an-address,news,',
      'c@x.test,nope;news,',
      'OK@x.test,,',
      ',news,123',
      'd@x.test,,call me',
    ].join('\n');
    const before = await store.listOutbox({ limit: 100 });
    const { file, done } = run('bad.csv', csv);
    await expect(done).rejects.toMatchObject({
      code: 'import_invalid',
      message: expect.stringContaining('5 problems'),
    });
    expect(out.stderr.trim().split('\n')).toEqual([
      `${file}:3 email must be an e-mail address such as user@example.com`,
      `${file}:4 groups unknown group "nope" (use a group's system name)`,
      `${file}:5 email duplicate of line 2`,
      `${file}:6 email is required`,
      `${file}:7 phone must be a phone number: digits, optionally a leading +`,
    ]);
    expect(await store.findContactByEmail('ok@x.test')).toBeUndefined();
    expect(await store.listContacts()).toHaveLength(1);
    expect(await store.listOutbox({ limit: 100 })).toEqual(before);
  });

  test('NDJSON: extra fields from other keys and an extra object; broken lines reported', async (context) => {
    const { store, out, run } = await setUp(context);
    await run(
      'contacts.ndjson',
      '{"email":"n@x.test","firstName":"N","groups":["offers"],"plan":"pro","extra":{"age":30}}\n\n',
    ).done;
    expect(out.stdout).toContain('1 created, 0 updated');
    expect(await store.findContactByEmail('n@x.test')).toMatchObject({
      firstName: 'N',
      extra: { plan: 'pro', age: 30 },
    });
    const { file, done } = run('broken.jsonl', '{"email":"m@x.test"}\n[1]\n{oops\n');
    await expect(done).rejects.toMatchObject({ code: 'import_invalid' });
    expect(out.stderr).toContain(`${file}:2 line must be a JSON object`);
    expect(out.stderr).toContain(`${file}:3 line not valid JSON`);
    expect(await store.findContactByEmail('m@x.test')).toBeUndefined();
  });

  test('an unknown extension or a missing file is a clear error', async (context) => {
    const { run } = await setUp(context);
    await expect(run('contacts.xlsx', '').done).rejects.toMatchObject({ code: 'import_unreadable' });
    const { done } = run('x.csv', 'email\n');
    await done;
    await expect(
      contactsCommand({ stdout: { write: () => true }, stderr: { write: () => true } }).parseAsync(
        ['import', '/nonexistent/file.csv'],
        { from: 'user' },
      ),
    ).rejects.toMatchObject({ code: 'import_unreadable', message: expect.stringContaining('cannot read') });
  });
});
