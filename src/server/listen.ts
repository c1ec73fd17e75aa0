/**
 * @module Listening: the server's address as a URL, and `listen` turning the usual socket failures
 * (port taken, no permission, no such address) into errors naming the variable to change.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/index.js';
import { ServerError } from './serverError.js';

/** `http://host:port` for the listening address; the wildcard hosts are shown as `localhost`. */
export function listeningUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

/**
 * Listens on `config.host:config.port`; resolves with the port (chosen by the OS for PORT=0).
 * @throws ServerError `listen_failed` (field `PORT`) saying what to change.
 */
export function listen(server: http.Server, config: Config): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const where = `${config.host}:${config.port}`;
      const hint =
        error.code === 'EADDRINUSE'
          ? `the port is in use; set PORT to a free port`
          : error.code === 'EACCES'
            ? `permission denied; set PORT above 1023`
            : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
              ? `no such local address; set UNSUB_HOST (e.g. 0.0.0.0 or 127.0.0.1)`
              : error.message;
      reject(
        new ServerError('listen_failed', `cannot listen on ${where}: ${hint}`, {
          cause: error,
          field: 'PORT',
        }),
      );
    };
    server.once('error', onError);
    server.listen(config.port, config.host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
