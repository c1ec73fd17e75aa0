/**
 * @module LISTEN on PostgreSQL for the store's signals: one connection of its own (LISTEN holds a
 * session, so it cannot be a pooled connection), opened when the first listener subscribes and
 * closed with the last. A dropped connection is reopened with a growing pause (100 ms doubling to
 * 5 s); after it is back every listener is called once, since notifications sent meanwhile are lost.
 * Until then the store's users rely on polling, which they do anyway.
 */
import pg from 'pg';

/** Where to connect and which notifications are ours. */
export interface NotificationsOptions {
  /** Connection settings of the store's pool (URL, search_path option, type parsers). */
  client: pg.ClientConfig;
  /** Only notifications whose payload is this schema reach the listeners (tests share channels). */
  schema: string;
  /** Pause before reconnecting the first time; doubles per failure up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

/** Listening on channels of one database for one schema. */
export interface Notifications {
  /** Calls `listener` for each notification on `channel` (and once after a reconnect); returns the stop. */
  listen(channel: string, listener: () => void): () => void;
  close(): Promise<void>;
}

/** Channel names are identifiers we write into LISTEN. */
const channelPattern = /^[a-z_][a-z0-9_]{0,62}$/;

/** Creates the listener side; no connection is made until the first `listen`. */
export function createNotifications(options: NotificationsOptions): Notifications {
  const firstRetryMs = options.retryMs ?? 100;
  const maxRetryMs = options.maxRetryMs ?? 5_000;
  const listeners = new Map<string, Set<() => void>>();
  let client: pg.Client | undefined;
  let connecting: Promise<void> | undefined;
  let retryMs = firstRetryMs;
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;

  const callAll = (channel?: string) => {
    for (const [name, set] of listeners) {
      if (channel !== undefined && name !== channel) continue;
      for (const listener of set) listener();
    }
  };

  /** Drops `lost` (if still current) and schedules a reconnect while anyone listens. */
  const drop = (lost: pg.Client) => {
    if (client !== lost) return;
    client = undefined;
    lost.removeAllListeners('notification');
    lost.end().catch(() => undefined);
    scheduleConnect();
  };

  const scheduleConnect = () => {
    if (closed || listeners.size === 0 || retryTimer !== undefined || connecting !== undefined) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect(true);
    }, retryMs);
    retryTimer.unref();
    retryMs = Math.min(retryMs * 2, maxRetryMs);
  };

  const connect = (reconnecting: boolean): Promise<void> => {
    connecting ??= (async () => {
      const next = new pg.Client({
        ...options.client,
        // Seen in pg_stat_activity: which schema's signal this connection carries.
        application_name: `unsub listen ${options.schema}`.slice(0, 63),
      });
      next.on('error', () => drop(next));
      next.on('end', () => drop(next));
      next.on('notification', (message) => {
        if (message.payload === options.schema) callAll(message.channel);
      });
      try {
        await next.connect();
        for (const channel of listeners.keys()) await next.query(`LISTEN ${channel}`);
      } catch {
        next.removeAllListeners('notification');
        await next.end().catch(() => undefined);
        connecting = undefined;
        scheduleConnect();
        return;
      }
      connecting = undefined;
      if (closed || listeners.size === 0) {
        await next.end().catch(() => undefined);
        return;
      }
      client = next;
      retryMs = firstRetryMs;
      // Whatever was committed while no connection listened was not announced: look now.
      if (reconnecting) callAll();
    })();
    return connecting;
  };

  return {
    listen(channel, listener) {
      if (!channelPattern.test(channel)) throw new Error(`not a channel name: ${channel}`);
      let set = listeners.get(channel);
      if (set === undefined) {
        set = new Set();
        listeners.set(channel, set);
        // A new channel on a live connection; otherwise connect (LISTENs every channel) comes next.
        client?.query(`LISTEN ${channel}`).catch(() => undefined);
      }
      set.add(listener);
      if (client === undefined && connecting === undefined && retryTimer === undefined) void connect(false);
      return () => {
        set.delete(listener);
        if (set.size > 0) return;
        listeners.delete(channel);
        client?.query(`UNLISTEN ${channel}`).catch(() => undefined);
        if (listeners.size === 0) {
          const last = client;
          client = undefined;
          last?.removeAllListeners();
          last?.on('error', () => undefined);
          last?.end().catch(() => undefined);
          if (retryTimer !== undefined) clearTimeout(retryTimer);
          retryTimer = undefined;
        }
      };
    },
    async close() {
      closed = true;
      listeners.clear();
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      await connecting;
      const last = client;
      client = undefined;
      if (last !== undefined) {
        last.removeAllListeners();
        last.on('error', () => undefined);
        await last.end().catch(() => undefined);
      }
    },
  };
}
