/**
 * @module The HTTP edge of webhook delivery: one signed POST, through undici connection pools with
 * keep-alive, to the address the SSRF policy vetted. Redirects are never followed; every attempt
 * has one deadline covering DNS, connect, headers and body; only the start of the body is kept.
 */
import type { LookupAddress, LookupOptions } from 'node:dns';
import { Pool } from 'undici';
import { version } from '../version.js';
import type { SendErrorCode } from './classifyResponse.js';
import type { AddressPolicy } from './createAddressPolicy.js';
import { parseRetryAfter } from './parseRetryAfter.js';
import { resolveVetted, type HostLookup } from './resolveVetted.js';
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
  } = options;
  const pools = new Map<string, Pool>();

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

  async function send({ url, headers, body }: SendRequest): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const timeoutError = () => ({
      code: 'timeout' as const,
      message: `no complete response within ${timeoutMs} ms`,
    });
    let status: number | undefined;
    let retryAfterMs: number | undefined;
    const chunks: Buffer[] = [];
    let kept = 0;
    try {
      const target = await Promise.race([
        resolveVetted(url, policy, lookup),
        new Promise<'timeout'>((resolve) =>
          controller.signal.addEventListener('abort', () => resolve('timeout')),
        ),
      ]);
      if (target === 'timeout') return { durationMs: elapsed(), responseExcerpt: '', error: timeoutError() };
      if (!target.ok)
        return {
          durationMs: elapsed(),
          responseExcerpt: '',
          error: { code: target.code, message: target.reason },
        };
      const pool = poolFor(target.url.origin, target.address, target.family);
      const response = await pool.request({
        method: 'POST',
        path: target.url.pathname + target.url.search,
        headers: { 'content-type': 'application/json', 'user-agent': userAgent, ...headers },
        body,
        signal: controller.signal,
      });
      status = response.statusCode;
      retryAfterMs = parseRetryAfter(response.headers['retry-after'], now());
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        kept += chunk.length;
        if (kept >= excerptBytes) {
          // Enough for the log: drop the rest (and the connection) rather than read an unbounded body.
          response.body.destroy();
          break;
        }
      }
      return {
        status,
        durationMs: elapsed(),
        responseExcerpt: utf8Excerpt(Buffer.concat(chunks), excerptBytes),
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      };
    } catch (error) {
      const code = controller.signal.aborted ? 'timeout' : errorCode(error);
      return {
        ...(status === undefined ? {} : { status }),
        durationMs: elapsed(),
        responseExcerpt: utf8Excerpt(Buffer.concat(chunks), excerptBytes),
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        error:
          code === 'timeout'
            ? timeoutError()
            : { code, message: error instanceof Error ? error.message : String(error) },
      };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    send,
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((pool) => pool.close().catch(() => undefined)));
    },
  };
}
