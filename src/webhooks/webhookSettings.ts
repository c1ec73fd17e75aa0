/**
 * @module Webhook settings on the store: the URL of each *slot* (an event type, or the common URL
 * for every type without its own), test-before-save, and secret rotation. Backs `GET/PUT
 * /api/webhooks`, `POST /api/webhooks/test`, `POST /api/webhooks/rotate` and the settings UI.
 *
 * Rules:
 * - Saving a URL needs a passed test of that same URL (normalised by the WHATWG URL parser) within
 *   `testValidityMs` (15 min), and the newest test of it must have passed: the server enforces this,
 *   not only the UI. A URL equal to the slot's current one on an enabled endpoint is not a change
 *   and needs no new test (so clients may PUT the whole settings back); a disabled endpoint needs one.
 * - A test of a slot that has an endpoint is signed with its active secrets. A test of an empty slot
 *   is signed with a *pending* secret kept in the settings (`webhooks.pending_secret.<slot>`), and the
 *   endpoint created by the save signs with that same secret: what the receiver verified during the
 *   test keeps verifying. (Kept in the store, not in memory, so a test and a save may hit different
 *   `unsub serve` processes.)
 * - `save` is all or nothing for validation: every slot is checked before anything is written.
 */
import { UnsubError } from '../errors/index.js';
import { eventTypes, isEventType, normalizeEventName, type EventType } from '../events/index.js';
import { activeSecrets, type EndpointChange, type Store, type WebhookEndpoint } from '../store/index.js';
import type { WebhookSender } from './createWebhookSender.js';
import { generateSecret } from './signWebhook.js';
import { testWebhookUrl, type WebhookTestResult } from './testWebhookUrl.js';

/** Stable codes of {@link WebhookSettingsError}. */
export type WebhookSettingsErrorCode =
  'url_not_tested' | 'unknown_event' | 'invalid_url' | 'invalid_input' | 'endpoint_not_found';

/** A settings change or test that cannot be applied; `field` names the slot (`common`, `events.<type>`). */
export class WebhookSettingsError extends UnsubError<WebhookSettingsErrorCode> {}

/**
 * The HTTP status of each code, for `http/errors.ts`: an untested URL conflicts with the server's
 * rule (409); a well-formed body naming an unknown event or a bad URL is unprocessable (422).
 */
export const webhookSettingsErrorStatus: Readonly<Record<WebhookSettingsErrorCode, number>> = {
  url_not_tested: 409,
  unknown_event: 422,
  invalid_url: 422,
  invalid_input: 422,
  endpoint_not_found: 404,
};

/** One configured slot as `GET /api/webhooks` shows it. */
export interface WebhookEndpointSettings {
  /** The endpoint id (for `/api/endpoints/:id/…` and the delivery filter). */
  id: number;
  url: string;
  /** The current signing secret `whsec_…`. */
  secret: string;
  enabled: boolean;
  /** `gone` (410), `failing` (5 days of failures), `manual`, … while disabled; else null. */
  disabledReason: string | null;
  /** ISO time it was disabled, or null. */
  disabledAt: string | null;
  /** ISO time the previous secret stops signing after a rotation, or null when none still signs. */
  previousSecretExpiresAt: string | null;
}

/** The settings: `{ common, events }`, the shape of `GET /api/webhooks`. */
export interface WebhookSettingsView {
  common: WebhookEndpointSettings | null;
  /** Only the event types that have their own endpoint, in catalog order. */
  events: Partial<Record<EventType, WebhookEndpointSettings>>;
}

/** A change, the body of `PUT /api/webhooks`: a URL sets the slot, null empties it, absent keeps it. */
export interface WebhookSettingsPatch {
  common?: string | null;
  /** Keys are event types (the Cyrillic `сomplaint` is accepted and normalised). */
  events?: Readonly<Record<string, string | null>>;
}

/** What to test, the body of `POST /api/webhooks/test`; no `event` tests the common URL (every sample). */
export interface WebhookUrlTestInput {
  url: string;
  event?: string;
}

/** A slot: `'common'` or an event type (the body of `POST /api/webhooks/rotate`). */
export type WebhookSlotName = 'common' | EventType;

/** Options of {@link createWebhookSettings}. */
export interface WebhookSettingsOptions {
  store: Store;
  /** Sends the test requests (its address policy is the SSRF guard). */
  sender: WebhookSender;
  /** Wall clock in ms (default `Date.now`). */
  now?: () => number;
  /** How long a passed test allows saving its URL (default 15 min). */
  testValidityMs?: number;
  /** How long a rotated-out secret keeps signing (default 24 h). */
  rotationOverlapMs?: number;
}

/** The settings service. */
export interface WebhookSettings {
  /** Every configured slot. */
  get(): Promise<WebhookSettingsView>;
  /**
   * Sends the sample(s) to `url`, signed as the slot's deliveries would be, records the result
   * for test-before-save and returns it. The target's answer never throws (a refused address is
   * `ok: false` with `error`). @throws WebhookSettingsError `invalid_url` / `unknown_event`.
   */
  test(input: WebhookUrlTestInput): Promise<WebhookTestResult>;
  /**
   * Applies a change, all or nothing, and returns the new settings.
   * @throws WebhookSettingsError `unknown_event`, `invalid_url` (422) or `url_not_tested` (409), naming the field.
   */
  save(patch: WebhookSettingsPatch): Promise<WebhookSettingsView>;
  /**
   * Makes a new `whsec_…` the slot's current secret; the old ones keep signing `rotationOverlapMs`.
   * @throws WebhookSettingsError `unknown_event` or `endpoint_not_found` (an empty slot), field `slot`.
   */
  rotateSecret(slot: WebhookSlotName | string | null): Promise<WebhookEndpointSettings>;
}

/** Longest accepted URL. */
const maxUrlLength = 2048;

/** The settings key of a slot's pending secret (see the module comment). */
export function pendingSecretKey(slot: EventType | null): string {
  return `webhooks.pending_secret.${slot ?? 'common'}`;
}

/** The field name of a slot in `PUT /api/webhooks`. */
function fieldOf(slot: EventType | null): string {
  return slot === null ? 'common' : `events.${slot}`;
}

/**
 * The canonical form of a webhook URL: absolute http(s), no credentials, ≤ 2048 characters.
 * @throws WebhookSettingsError `invalid_url` naming `field`.
 */
export function normalizeWebhookUrl(url: unknown, field: string): string {
  const fail = (why: string) =>
    new WebhookSettingsError('invalid_url', `${field} ${why}, e.g. "https://example.com/webhooks"`, {
      field,
    });
  if (typeof url !== 'string' || url.trim() === '') throw fail('must be a URL');
  if (url.length > maxUrlLength) throw fail(`must be at most ${maxUrlLength} characters`);
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch (cause) {
    throw new WebhookSettingsError('invalid_url', `${field} is not an absolute URL: "${url}"`, {
      field,
      cause,
    });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw fail('must start with https:// or http://');
  // Credentials in a URL end up in logs and the settings page; webhooks authenticate by signature.
  if (parsed.username !== '' || parsed.password !== '')
    throw fail('must not contain a user name or password');
  parsed.hash = '';
  return parsed.href;
}

/**
 * The slot named by an event type, `'common'` or null (common).
 * @throws WebhookSettingsError `unknown_event` naming `field`.
 */
export function parseSlot(name: string | null | undefined, field: string): EventType | null {
  if (name === null || name === undefined || name === 'common') return null;
  const type = normalizeEventName(name);
  if (isEventType(type)) return type;
  throw new WebhookSettingsError(
    'unknown_event',
    `${field}: "${name}" is not an event type; use "common" or one of ${eventTypes.map((t) => `"${t}"`).join(', ')}`,
    { field },
  );
}

function endpointSettings(endpoint: WebhookEndpoint, now: number): WebhookEndpointSettings {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const previous = endpoint.secrets
    .slice(1)
    .map((secret) => secret.expiresAt)
    .filter((expiresAt): expiresAt is number => expiresAt !== null && expiresAt > now);
  return {
    id: endpoint.id,
    url: endpoint.url,
    secret: endpoint.secrets[0]?.secret ?? '',
    enabled: endpoint.disabledAt === null,
    disabledReason: endpoint.disabledReason,
    disabledAt: iso(endpoint.disabledAt),
    previousSecretExpiresAt: previous.length > 0 ? iso(Math.max(...previous)) : null,
  };
}

/** Creates the settings service over a store. */
export function createWebhookSettings(options: WebhookSettingsOptions): WebhookSettings {
  const { store, sender } = options;
  const now = options.now ?? Date.now;
  const testValidityMs = options.testValidityMs ?? 15 * 60 * 1000;
  const rotationOverlapMs = options.rotationOverlapMs ?? 24 * 60 * 60 * 1000;

  /** The slot's pending secret, created (and stored) on first use. */
  const pendingSecret = async (slot: EventType | null): Promise<string> => {
    const stored = await store.getSetting(pendingSecretKey(slot));
    if (typeof stored === 'string' && stored.startsWith('whsec_')) return stored;
    const secret = generateSecret();
    await store.setSetting(pendingSecretKey(slot), secret, now());
    return secret;
  };

  const view = async (): Promise<WebhookSettingsView> => {
    const at = now();
    const result: WebhookSettingsView = { common: null, events: {} };
    const endpoints = await store.listEndpoints();
    for (const endpoint of endpoints) {
      if (endpoint.eventType === null) result.common = endpointSettings(endpoint, at);
    }
    // Catalog order, whatever order the store lists them in.
    for (const type of eventTypes) {
      const endpoint = endpoints.find((candidate) => candidate.eventType === type);
      if (endpoint) result.events[type] = endpointSettings(endpoint, at);
    }
    return result;
  };

  /** @throws WebhookSettingsError `url_not_tested` unless the newest test of `url` passed recently. */
  const requireTested = async (url: string, field: string, at: number): Promise<void> => {
    const last = await store.lastEndpointTest(url);
    const minutes = Math.round(testValidityMs / 60_000);
    let why: string | undefined;
    if (!last) why = 'has not been tested';
    else if (!last.ok)
      why = `failed its last test (${last.status === null ? 'no response' : `HTTP ${last.status}`})`;
    else if (last.at < at - testValidityMs) why = `was last tested more than ${minutes} minutes ago`;
    if (why === undefined) return;
    throw new WebhookSettingsError(
      'url_not_tested',
      `${field}: ${url} ${why}; test it (POST /api/webhooks/test) and save within ${minutes} minutes of a passed test`,
      { field },
    );
  };

  return {
    get: view,

    async test(input) {
      const url = normalizeWebhookUrl(input.url, 'url');
      const slot = parseSlot(input.event ?? null, 'event');
      const started = now();
      const endpoint = await store.findEndpoint(slot);
      const secrets = endpoint ? activeSecrets(endpoint, started) : [await pendingSecret(slot)];
      const result = await testWebhookUrl({
        url,
        ...(slot === null ? {} : { event: slot }),
        sender,
        secrets,
        now,
      });
      // The start time: the 15 minutes count from when the test was made, conservatively.
      await store.recordEndpointTest({
        url,
        ok: result.ok,
        status: result.status,
        durationMs: result.duration_ms,
        at: started,
      });
      return result;
    },

    async save(patch) {
      // 1. Parse every slot (422s) before any test lookup, so the error names the first bad input.
      const changes: { slot: EventType | null; url: string | null }[] = [];
      if (patch.common !== undefined) {
        changes.push({
          slot: null,
          url: patch.common === null ? null : normalizeWebhookUrl(patch.common, 'common'),
        });
      }
      for (const [name, url] of Object.entries(patch.events ?? {})) {
        const slot = parseSlot(name, `events.${name}`);
        if (slot === null) {
          throw new WebhookSettingsError(
            'unknown_event',
            `events.${name}: set the common URL with "common"`,
            {
              field: `events.${name}`,
            },
          );
        }
        const field = fieldOf(slot);
        if (changes.some((change) => change.slot === slot)) {
          throw new WebhookSettingsError(
            'invalid_input',
            `${field} is given twice (once with the Cyrillic "с")`,
            {
              field,
            },
          );
        }
        changes.push({ slot, url: url === null ? null : normalizeWebhookUrl(url, field) });
      }

      // 2. Every new URL must have passed its test; an unchanged enabled endpoint needs none.
      const at = now();
      const current = new Map<EventType | null, WebhookEndpoint | undefined>();
      for (const change of changes) {
        const endpoint = await store.findEndpoint(change.slot);
        current.set(change.slot, endpoint);
        if (change.url === null) continue;
        if (endpoint && endpoint.url === change.url && endpoint.disabledAt === null) continue;
        await requireTested(change.url, fieldOf(change.slot), at);
      }

      // 3. Apply, every slot in one store transaction: all or nothing.
      const apply: EndpointChange[] = [];
      for (const { slot, url } of changes) {
        const endpoint = current.get(slot);
        if (url === null) {
          if (endpoint) apply.push({ eventType: slot, url: null });
          continue;
        }
        if (endpoint && endpoint.url === url && endpoint.disabledAt === null) continue;
        apply.push(
          endpoint
            ? { eventType: slot, url, secret: generateSecret() /* ignored: it keeps its own */ }
            : // A new slot signs with the secret its test used; that pending secret is then spent.
              {
                eventType: slot,
                url,
                secret: await pendingSecret(slot),
                clearSetting: pendingSecretKey(slot),
              },
        );
      }
      if (apply.length > 0) await store.saveEndpoints(apply, at);
      return view();
    },

    async rotateSecret(name) {
      const slot = parseSlot(name, 'slot');
      const endpoint = await store.findEndpoint(slot);
      if (!endpoint) {
        throw new WebhookSettingsError(
          'endpoint_not_found',
          `slot: ${slot ?? 'common'} has no webhook URL; save one before rotating its secret`,
          { field: 'slot' },
        );
      }
      const at = now();
      const rotated = await store.rotateEndpointSecret(endpoint.id, {
        secret: generateSecret(),
        at,
        overlapMs: rotationOverlapMs,
      });
      return endpointSettings(rotated, at);
    },
  };
}
