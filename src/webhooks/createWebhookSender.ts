/**
 * @module The HTTP edge of webhook delivery: one signed POST, through undici connection pools with
 * keep-alive, to the address the SSRF policy vetted. Redirects are never followed; every attempt
 * has one deadline covering DNS, connect, headers and body; only the start of the body is kept.
 *
 * This is the hot path of the dispatcher, so each attempt is one small handler object given to
 * undici's `dispatch` (no response stream, no AbortSignal, one timer), and what does not change
 * between attempts is cached: the parsed URL per endpoint URL, and the vetted address per host name
 * for `dnsCacheMs`. The socket is still pinned to that vetted address, so a cached answer cannot be
 * switched by DNS rebinding; it only means a changed DNS answer is noticed up to that much later.
 */
import type { LookupAddress, LookupOptions } from 'node:dns';
import { Pool, type Dispatcher } from 'undici';
import { version } from '../version.js';
import type { SendErrorCode } from './classifyResponse.js';
import type { AddressPolicy } from './createAddressPolicy.js';
import { parseRetryAfter } from './parseRetryAfter.js';
import {
  checkWebhookUrl,
  lookupVetted,
  vetAddresses,
  type HostLookup,
  type RefusedTarget,
  type VettedAddress,
} from './resolveVetted.js';
import { responseExcerptBytes, utf8Excerpt } from './utf8Excerpt.js';

/** Options of {@link createWebhookSender}. */
export interface WebhookSenderOptions {
  /** Which addresses may be called (see `createAddressPolicy`). */
  policy: AddressPolicy;
  /** Deadline of one attempt, DNS to last body byte (default 15 s). */
  timeoutMs?: number;
  /** The `user-agent` header (default `unsub/<version>`). */
  userAgent?: string;
  /** Keep-alive connections per origin and address (default 8): the per-endpoint concurrency cap. */
  maxConnectionsPerOrigin?: number;
  /** Host name resolution (default the system resolver); tests inject one. */
  lookup?: HostLookup;
  /** The wall clock in milliseconds, for `retry-after` dates (default `Date.now`). */
  now?: () => number;
  /** How many bytes of a response body to keep (default 20 KB). */
  excerptBytes?: number;
  /**
   * How long a host name's vetted address is reused (default 30 s; 0 resolves on every send). The
   * cache belongs to this sender and so to its policy.
   */
  dnsCacheMs?: number;
}

/** One request to send. */
export interface SendRequest {
  url: string;
  /** Usually the signature headers; `content-type` and `user-agent` are added unless given. */
  headers: Readonly<Record<string, string>>;
  /** The exact body (the event JSON). */
  body: string;
}

/** What one attempt produced. */
export interface SendResult {
  /** The HTTP status, when response headers arrived. */
  status?: number;
  durationMs: number;
  /** The start of the response body (≤ 20 KB of UTF-8), `''` when none. */
  responseExcerpt: string;
  /** The response's `retry-after`, in milliseconds (capped at 24 h). */
  retryAfterMs?: number;
  /**
   * Set when the attempt did not complete (no response, or the body timed out after the headers):
   * classify by `error` first, then by `status`.
   */
  error?: { code: SendErrorCode; message: string };
}

/** Sends webhook requests; `close()` ends the kept-alive connections. */
export interface WebhookSender {
  send(request: SendRequest): Promise<SendResult>;
  close(): Promise<void>;
}

/** At most this many pools (origin × address) stay open; the least recently used one is closed. */
const maxPools = 256;
/** At most this many parsed URLs and vetted host names are cached (the oldest is dropped). */
const maxCached = 4096;

/** A `lookup` for net/tls.connect that always answers the vetted address: DNS is never asked again. */
function pinnedLookup(address: string, family: 4 | 6) {
  return (
    _hostname: string,
    options: LookupOptions,
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/** Maps an undici or socket error to a stable code. */
function errorCode(error: unknown): SendErrorCode {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  if (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return 'timeout';
  }
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') {
    return 'connection_reset';
  }
  if (code === 'ENETUNREACH' || code === 'EHOSTUNREACH' || code === 'EADDRNOTAVAIL')
    return 'network_unreachable';
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO_/.test(code)) {
    return 'tls_error';
  }
  return 'network_error';
}

/** An endpoint URL, parsed and checked once. */
interface ParsedTarget {
  origin: string;
  /** Path and query, as sent in the request line. */
  path: string;
  host: string;
  /** The vetted address of an IP-literal host (it never changes); names are looked up. */
  literal?: VettedAddress | RefusedTarget;
}

/** A host name's vetting, shared by concurrent sends while the lookup runs. */
interface CachedHost {
  expiresAt: number;
  vetted: Promise<VettedAddress | RefusedTarget>;
}

/**
 * The reason given to undici when an attempt that already settled (excerpt full, deadline passed)
 * stops what is left of its request; the handler ignores the error it comes back as.
 */
const attemptSettled = new Error('webhook attempt already settled');

/**
 * One attempt, as an undici dispatch handler. It settles exactly once: at the response's end, on
 * an error, when the excerpt is full, or at the deadline, whichever comes first; later callbacks
 * only abort what is left of the request.
 */
class Attempt implements Dispatcher.DispatchHandler {
  status: number | undefined;
  retryAfterMs: number | undefined;
  chunks: Buffer[] = [];
  kept = 0;
  settled = false;
  controller: Dispatcher.DispatchController | undefined;
  readonly timer: NodeJS.Timeout;
  readonly started = performance.now();
  resolve!: (result: SendResult) => void;
  readonly promise = new Promise<SendResult>((resolve) => {
    this.resolve = resolve;
  });

  constructor(
    readonly timeoutMs: number,
    readonly excerptBytes: number,
    readonly now: () => number,
  ) {
    this.timer = setTimeout(() => this.onDeadline(), timeoutMs);
  }

  onDeadline(): void {
    this.fail('timeout', '');
    this.controller?.abort(attemptSettled);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.settled) controller.abort(attemptSettled); // the deadline passed while it waited in the pool
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.status = statusCode;
    const retryAfter = headers['retry-after'];
    this.retryAfterMs = retryAfter === undefined ? undefined : parseRetryAfter(retryAfter, this.now());
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.chunks.push(chunk);
    this.kept += chunk.length;
    if (this.kept >= this.excerptBytes) {
      // Enough for the log: drop the rest (and the connection) rather than read an unbounded body.
      this.succeed();
      controller.abort(attemptSettled);
    }
  }

  onResponseEnd(): void {
    this.succeed();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.settled) return;
    const code = errorCode(error);
    this.fail(code, code === 'timeout' ? '' : error.message);
  }

  /** Settles as refused before any request (invalid URL, refused address, DNS failure). */
  refuse(refused: RefusedTarget): void {
    this.fail(refused.code, refused.reason);
  }

  private succeed(): void {
    if (!this.settled) this.resolve(this.settle());
  }

  private fail(code: SendErrorCode, message: string): void {
    if (this.settled) return;
    const result = this.settle();
    result.error =
      code === 'timeout'
        ? { code, message: `no complete response within ${this.timeoutMs} ms` }
        : { code, message };
    this.resolve(result);
  }

  /** Marks the attempt settled and returns its result so far (absent fields stay absent). */
  private settle(): SendResult {
    this.settled = true;
    clearTimeout(this.timer);
    const result: SendResult = { durationMs: this.elapsed(), responseExcerpt: this.excerpt() };
    if (this.status !== undefined) result.status = this.status;
    if (this.retryAfterMs !== undefined) result.retryAfterMs = this.retryAfterMs;
    return result;
  }

  private elapsed(): number {
    return Math.round(performance.now() - this.started);
  }

  private excerpt(): string {
    if (this.kept === 0) return '';
    const first = this.chunks[0];
    const bytes = this.chunks.length === 1 && first ? first : Buffer.concat(this.chunks);
    return utf8Excerpt(bytes, this.excerptBytes);
  }
}

/** Creates a sender. One per process is enough: pools are shared by every endpoint. */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const {
    policy,
    timeoutMs = 15_000,
    userAgent = `unsub/${version}`,
    maxConnectionsPerOrigin = 8,
    lookup,
    now = Date.now,
    excerptBytes = responseExcerptBytes,
    dnsCacheMs = 30_000,
  } = options;
  const pools = new Map<string, Pool>();
  const targets = new Map<string, ParsedTarget>();
  const hosts = new Map<string, CachedHost>();

  function poolFor(origin: string, address: string, family: 4 | 6): Pool {
    const key = `${origin} ${address}`;
    let pool = pools.get(key);
    if (pool) {
      pools.delete(key); // re-insert: Map order is our least-recently-used order
    } else {
      pool = new Pool(origin, {
        connections: maxConnectionsPerOrigin,
        // Host header and TLS SNI/certificate check stay the URL's host; only the socket is pinned.
        connect: { lookup: pinnedLookup(address, family), timeout: timeoutMs },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const [oldestKey, oldest] = pools.entries().next().value ?? [];
      if (pools.size >= maxPools && oldestKey !== undefined && oldest) {
        pools.delete(oldestKey);
        void oldest.close().catch(() => undefined);
      }
    }
    pools.set(key, pool);
    return pool;
  }

  /** Bounded insert: the oldest entry makes room (endpoint URLs are few; this only caps abuse). */
  function remember<T>(map: Map<string, T>, key: string, value: T): void {
    if (map.size >= maxCached) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
    map.set(key, value);
  }

  /** The parsed target of a URL (cached when the URL is valid), or why it must not be called. */
  function targetOf(url: string): ParsedTarget | RefusedTarget {
    const cached = targets.get(url);
    if (cached) return cached;
    const checked = checkWebhookUrl(url);
    if (!checked.ok) return checked;
    const target: ParsedTarget = {
      origin: checked.url.origin,
      path: checked.url.pathname + checked.url.search,
      host: checked.host,
      ...(checked.literal
        ? {
            literal: vetAddresses(checked.host, [{ address: checked.host, family: checked.literal }], policy),
          }
        : {}),
    };
    remember(targets, url, target);
    return target;
  }

  /** The vetted address of a host name: cached for `dnsCacheMs`, refusals never. */
  function vetHost(host: string): Promise<VettedAddress | RefusedTarget> {
    const at = now();
    const cached = hosts.get(host);
    if (cached && cached.expiresAt > at) return cached.vetted;
    const vetted = lookupVetted(host, policy, lookup);
    if (dnsCacheMs > 0) {
      const entry: CachedHost = { expiresAt: at + dnsCacheMs, vetted };
      remember(hosts, host, entry);
      void vetted.then((result) => {
        if (!result.ok && hosts.get(host) === entry) hosts.delete(host);
      });
    }
    return vetted;
  }

  function dispatch(attempt: Attempt, target: ParsedTarget, vetted: VettedAddress, request: SendRequest) {
    if (attempt.settled) return; // the deadline passed during the lookup
    try {
      // undici reports its own failures (bad header, closed pool) to the handler, not by throwing.
      poolFor(target.origin, vetted.address, vetted.family).dispatch(
        {
          origin: target.origin,
          method: 'POST',
          path: target.path,
          headers: { 'content-type': 'application/json', 'user-agent': userAgent, ...request.headers },
          body: request.body,
        },
        attempt,
      );
    } catch (error) {
      attempt.onResponseError(undefined, error instanceof Error ? error : new Error(String(error)));
    }
  }

  function send(request: SendRequest): Promise<SendResult> {
    const attempt = new Attempt(timeoutMs, excerptBytes, now);
    const target = targetOf(request.url);
    if (!('origin' in target)) {
      attempt.refuse(target);
    } else if (target.literal) {
      if (target.literal.ok) dispatch(attempt, target, target.literal, request);
      else attempt.refuse(target.literal);
    } else {
      void vetHost(target.host).then((vetted) => {
        if (vetted.ok) dispatch(attempt, target, vetted, request);
        else attempt.refuse(vetted);
      });
    }
    return attempt.promise;
  }

  return {
    send,
    async close() {
      const all = [...pools.values()];
      pools.clear();
      targets.clear();
      hosts.clear();
      await Promise.all(all.map((pool) => pool.close().catch(() => undefined)));
    },
  };
}
