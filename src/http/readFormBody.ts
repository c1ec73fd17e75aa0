/**
 * @module The body reader of the public POSTs: the raw bytes into `req.body` (a Buffer), capped at
 * a few KiB. Deliberately smaller than body-parser: the forms of these pages (and RFC 8058 one-click
 * POSTs) are a few dozen bytes, never compressed, and this sits on the one-click hot path.
 *
 * - Declared or streamed length above the cap → 413 (`payload_too_large`), with `Connection: close`
 *   so the server does not go on reading what the client still sends.
 * - A `Content-Encoding` other than identity → 415: no decompression, so no zip bombs.
 */
import type { RequestHandler } from 'express';
import { HttpError } from './errors.js';

function tooLarge(limit: number): HttpError {
  return new HttpError('payload_too_large', `the request body is larger than ${limit} bytes`, {
    status: 413,
    headers: { Connection: 'close' },
  });
}

/** A middleware reading at most `limit` bytes of body into `req.body` (undefined without a body). */
export function readFormBody(limit: number): RequestHandler {
  return (req, _res, next) => {
    // Already read by an earlier route of the same path (a compact `/s/` manager code is passed on).
    if (Buffer.isBuffer(req.body)) return next();
    const declared = req.headers['content-length'];
    if (declared === undefined && req.headers['transfer-encoding'] === undefined) return next();
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      return next(
        new HttpError('unsupported_media_type', `content-encoding ${encoding} is not accepted here`, {
          status: 415,
          headers: { Connection: 'close' },
        }),
      );
    }
    if (declared !== undefined && Number(declared) > limit) return next(tooLarge(limit));

    const chunks: Buffer[] = [];
    let length = 0;
    let done = false;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (error) return next(error);
      req.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
      next();
    };
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) {
        req.pause();
        return finish(tooLarge(limit));
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onError = (error: Error) =>
      finish(
        new HttpError('bad_request', 'the request body could not be read', { status: 400, cause: error }),
      );
    const onAborted = () => finish(new HttpError('bad_request', 'the request was aborted', { status: 400 }));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  };
}
