/**
 * @module Test harness of the HTTP integration tests: a store of the given backend seeded with three
 * groups and one contact, the app over it listening on a loopback port, and helpers to sign links
 * and read state (outbox bodies, memberships) for before/after comparisons.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { TestContext } from 'vitest';
import { createApp, type AppOptions } from '../../src/http/index.js';
import { KeyRing, linkUrl, type LinkClaimsInput } from '../../src/links/index.js';
import type { Contact, Group, Store } from '../../src/store/index.js';
import { createSubscriptions, type Subscriptions } from '../../src/subscriptions/index.js';
import { openTestStore, type TestBackend } from '../support/databases.js';

/** What a test gets: the running app, its data and helpers. */
export interface Harness {
  store: Store;
  subscriptions: Subscriptions;
  keyRing: KeyRing;
  baseUrl: string;
  news: Group;
  offers: Group;
  sms: Group;
  ann: Contact;
  /** Every unexpected error the app logged (tests assert it stays empty). */
  logged: unknown[][];
  /** Signs a link for Ann (unless `contactId` says otherwise) and returns its URL. */
  link(claims: Partial<LinkClaimsInput> & Pick<LinkClaimsInput, 'action'>): string;
  /** The outbox bodies, parsed, in order. */
  outbox(): Promise<Record<string, unknown>[]>;
  /** Ann's memberships of a channel as `[group name, state]`. */
  states(channel?: 'email' | 'sms'): Promise<[string, string][]>;
  /** Outbox + memberships of both channels: equal snapshots mean nothing changed. */
  snapshot(): Promise<string>;
}

/** Opens a seeded store and serves the app on 127.0.0.1:0 for one test. */
export async function startHarness(
  context: TestContext,
  backend: TestBackend,
  appOptions: Partial<AppOptions> = {},
  /** The subscriptions' clock (default `Date.now`), for tests of time windows such as undo. */
  now?: () => number,
): Promise<Harness> {
  const store = await openTestStore(context, await backend.makeDatabase(context));
  const subscriptions = createSubscriptions(now ? { store, now } : { store });
  const keyRing = appOptions.keyRing ?? KeyRing.generate();
  const news = await subscriptions.createGroup({ name: 'Новости', systemName: 'news', channel: 'email' });
  const offers = await subscriptions.createGroup({
    name: 'Offers & <deals>',
    systemName: 'offers',
    description: 'Weekly deals',
    channel: 'email',
  });
  const sms = await subscriptions.createGroup({
    name: 'SMS alerts',
    systemName: 'sms_alerts',
    channel: 'sms',
  });
  const ann = await subscriptions.createContact({
    email: 'ann.smith@example.com',
    phone: '+79123456789',
    firstName: 'Ann',
    lastName: 'Smith',
    extra: { city: 'Riga' },
    groupIds: [news.id, offers.id, sms.id],
  });

  const logged: unknown[][] = [];
  const logger = {
    error: (...args: unknown[]) => logged.push(args),
    warn: (...args: unknown[]) => logged.push(args),
  };
  const app = createApp({
    store,
    subscriptions,
    baseUrl: 'http://placeholder',
    logger,
    ...appOptions,
    keyRing,
  });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  // Registered after openTestStore's close: hooks run in reverse, so the server stops first.
  context.onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // fetch keeps connections alive; do not wait for their timeout
      }),
  );
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const outbox = async () =>
    (await store.listOutbox({ limit: 10_000 })).map(
      (event) => JSON.parse(event.body) as Record<string, unknown>,
    );
  const states = async (channel: 'email' | 'sms' = 'email') =>
    (await store.getMemberships(ann.id, channel)).map((m): [string, string] => [m.group.name, m.state]);

  return {
    store,
    subscriptions,
    keyRing,
    baseUrl,
    news,
    offers,
    sms,
    ann,
    logged,
    link(claims) {
      const full: LinkClaimsInput = { contactId: ann.id, channel: 'email', groupIds: [], ...claims };
      return linkUrl(baseUrl, full, keyRing.signLink(full));
    },
    outbox,
    states,
    async snapshot() {
      return JSON.stringify({
        outbox: await outbox(),
        email: await states('email'),
        sms: await states('sms'),
      });
    },
  };
}

/** A form POST (urlencoded) that does not follow redirects. */
export function postForm(url: string, fields: Record<string, string | string[]>, init: RequestInit = {}) {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value]) body.append(name, item);
  }
  return fetch(url, { method: 'POST', body, redirect: 'manual', ...init });
}

/** The outbox body of a membership event, exactly as the seed has it. */
export function membershipEvent(
  event: 'mailing group subscribe' | 'mailing group unsubscribe',
  email: string,
  group: Group,
): Record<string, unknown> {
  return { event, email, group_id: group.id, group_name: group.name, channel: group.channel };
}
