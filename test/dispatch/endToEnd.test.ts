/**
 * @module End to end: a template is compiled and rendered for a contact; the mailbox provider's
 * RFC 8058 one-click POST on the rendered `List-Unsubscribe` link unsubscribes the contact, and the
 * dispatcher — woken by the event bus — POSTs a signed `mailing group unsubscribe` event to the
 * endpoint configured for that event type, which the independent `standardwebhooks` package verifies.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { describe, expect, test } from 'vitest';
import { createEventBus } from '../../src/events/index.js';
import { createApp } from '../../src/http/index.js';
import { KeyRing } from '../../src/links/index.js';
import { createSubscriptions } from '../../src/subscriptions/index.js';
import { compile, render } from '../../src/template/index.js';
import { version } from '../../src/version.js';
import { createDispatcher, generateSecret } from '../../src/webhooks/index.js';
import { openTestStore, testBackends } from '../support/databases.js';
import { startWebhookReceiver } from '../support/webhookReceiver.js';
import { until } from './dispatchHarness.js';

const backends = await testBackends('the PostgreSQL end-to-end webhook test');

describe.each(backends)('end to end ($name)', (backend) => {
  test('one-click on a rendered link → signed "mailing group unsubscribe" at the endpoint', async (context) => {
    const store = await openTestStore(context, await backend.makeDatabase(context));
    const bus = createEventBus();
    const subscriptions = createSubscriptions({ store, bus });
    const news = await subscriptions.createGroup({ name: 'Новости', systemName: 'news', channel: 'email' });
    const ann = await subscriptions.createContact({ email: 'ann@example.com', groupIds: [news.id] });

    const receiver = await startWebhookReceiver();
    context.onTestFinished(() => receiver.close());
    const secret = generateSecret();
    await store.putEndpoint({
      eventType: 'mailing group unsubscribe',
      url: `${receiver.origin}/unsub-events`,
      secret,
      at: Date.now(),
    });
    // A common URL exists too: the per-event endpoint must win for this event.
    const common = await startWebhookReceiver();
    context.onTestFinished(() => common.close());
    await store.putEndpoint({
      eventType: null,
      url: `${common.origin}/`,
      secret: generateSecret(),
      at: Date.now(),
    });

    // The app, listening before it is built so that links carry its real address.
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    context.onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const keyRing = KeyRing.generate();
    server.on('request', createApp({ store, subscriptions, keyRing, baseUrl, logger: console }));

    // A poll far beyond the test timeout: the bus must wake the dispatcher.
    const dispatcher = createDispatcher({ store, bus, allow: ['127.0.0.0/8'], pollMs: 3_600_000 });
    context.onTestFinished(() => dispatcher.stop());
    await dispatcher.runOnce(); // the contact's own "contact adding" event goes to the common URL
    dispatcher.start();

    const compiled = compile(`<p>Hello {{first_name}}</p><a href="<<Unsubscribe('news')>>">Unsubscribe</a>`, {
      groups: await store.listGroups(),
    });
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
    const copy = render(
      compiled.template,
      { contactId: ann.id, email: ann.email },
      { first_name: 'Ann' },
      {
        keyRing,
        baseUrl,
        messageUid: 'msg-uid-1',
      },
    );
    expect(copy.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const oneClickUrl = /<(http[^>]+)>/.exec(copy.headers['List-Unsubscribe'])?.[1] ?? '';
    expect(oneClickUrl.startsWith(`${baseUrl}/u/`)).toBe(true);

    const response = await fetch(oneClickUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
      redirect: 'manual',
    });
    expect(response.status).toBe(200);

    await until(() => receiver.requests.length === 1);
    const [request] = receiver.requests;
    expect(request?.path).toBe('/unsub-events');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['user-agent']).toBe(`unsub/${version}`);
    const event = new Webhook(secret).verify(request?.body ?? '', request?.headers as Record<string, string>);
    expect(event).toEqual({
      event: 'mailing group unsubscribe',
      email: 'ann@example.com',
      group_id: news.id,
      group_name: 'Новости',
      channel: 'email',
    });
    // A tampered body fails verification with the same headers.
    expect(() =>
      new Webhook(secret).verify(
        (request?.body ?? '').replace('ann@', 'bob@'),
        request?.headers as Record<string, string>,
      ),
    ).toThrow();
    expect(common.requests.map((r) => JSON.parse(r.body).event)).toEqual(['contact adding']);
    await until(async () => (await store.deliveryStats()).byStatus.succeeded === 2);
  });
});
