/**
 * @module Form bodies of the public POSTs, read from the raw bytes: `application/x-www-form-urlencoded`
 * (our pages), `multipart/form-data` (RFC 8058 allows one-click POSTs in either) and `text/plain`
 * forms. The multipart reader is deliberately minimal: small bodies (the app caps them), text fields
 * only, file parts skipped — enough for `List-Unsubscribe=One-Click` and nothing a stranger can abuse.
 */
import { HttpError } from './errors.js';

/** Field name → every value sent for it, in order. */
export type FormFields = Map<string, string[]>;

/** Parts beyond this many are refused: no legitimate form of ours has more. */
const maxParts = 1_000;

function badForm(message: string): HttpError {
  return new HttpError('bad_form', message, { status: 400 });
}

function add(fields: FormFields, name: string, value: string): void {
  const values = fields.get(name);
  if (values) values.push(value);
  else fields.set(name, [value]);
}

/** `multipart/form-data; boundary="x"` → `{ type: 'multipart/form-data', params: { boundary: 'x' } }`. */
export function parseContentType(header: string | undefined): {
  type: string;
  params: Record<string, string>;
} {
  if (!header) return { type: '', params: {} };
  const [type = '', ...rest] = header.split(';');
  const params: Record<string, string> = {};
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    params[key] = value;
  }
  return { type: type.trim().toLowerCase(), params };
}

/** The `name` parameter of a part's Content-Disposition, and whether it is a file. */
function dispositionOf(headers: string): { name: string | undefined; file: boolean } {
  for (const line of headers.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim().toLowerCase() !== 'content-disposition') continue;
    const { type, params } = parseContentType(line.slice(colon + 1));
    if (type !== 'form-data') return { name: undefined, file: false };
    return { name: params.name, file: params.filename !== undefined || params['filename*'] !== undefined };
  }
  return { name: undefined, file: false };
}

/** Reads the text fields of a multipart/form-data body. @throws HttpError `bad_form`. */
export function parseMultipart(body: Buffer, boundary: string | undefined): FormFields {
  if (!boundary || boundary.length > 70) throw badForm('multipart body without a valid boundary');
  const fields: FormFields = new Map();
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  let at = body.indexOf(delimiter);
  if (at < 0) throw badForm('multipart body without its boundary');
  at += delimiter.length;
  for (let parts = 0; ; parts++) {
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return fields; // "--": the closing delimiter
    if (parts >= maxParts) throw badForm('too many parts');
    // Transport padding (spaces/tabs) may precede the CRLF after a delimiter (RFC 2046).
    while (body[at] === 0x20 || body[at] === 0x09) at++;
    if (body[at] !== 0x0d || body[at + 1] !== 0x0a) throw badForm('malformed multipart delimiter');
    const headersEnd = body.indexOf('\r\n\r\n', at + 2, 'latin1');
    // A part may have no headers at all: then the blank line follows the delimiter line at once.
    const headerStart = at + 2;
    const noHeaders = body[headerStart] === 0x0d && body[headerStart + 1] === 0x0a;
    const contentStart = noHeaders ? headerStart + 2 : headersEnd + 4;
    const contentEnd = body.indexOf(nextDelimiter, headerStart);
    if (contentEnd < 0) throw badForm('multipart body is not closed');
    // The blank line must end THIS part's headers, not some later part's.
    if (!noHeaders && (headersEnd < 0 || contentStart > contentEnd)) {
      throw badForm('multipart part without a header end');
    }
    const { name, file } = noHeaders
      ? { name: undefined, file: false }
      : dispositionOf(body.toString('latin1', headerStart, headersEnd));
    if (name !== undefined && !file) {
      // Field names come from header bytes (latin1 on the wire, UTF-8 by browsers): decode as UTF-8.
      add(
        fields,
        Buffer.from(name, 'latin1').toString('utf8'),
        body.toString('utf8', contentStart, contentEnd),
      );
    }
    at = contentEnd + nextDelimiter.length;
  }
}

/** Reads `name=value` lines of a text/plain form (how `enctype="text/plain"` forms submit). */
function parseTextPlain(text: string): FormFields {
  const fields: FormFields = new Map();
  for (const line of text.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq > 0) add(fields, line.slice(0, eq), line.slice(eq + 1));
  }
  return fields;
}

/**
 * The fields of a POSTed form; an absent body or an unknown media type has none. Invalid percent
 * escapes or UTF-8 never throw (they decode to replacement characters, as browsers do).
 * @throws HttpError `bad_form` for a multipart body that cannot be read.
 */
export function parseFormBody(contentType: string | undefined, body: Buffer | undefined): FormFields {
  if (!body || body.length === 0) return new Map();
  const { type, params } = parseContentType(contentType);
  if (type === 'multipart/form-data') return parseMultipart(body, params.boundary);
  if (type === 'text/plain') return parseTextPlain(body.toString('utf8'));
  if (type === '' || type === 'application/x-www-form-urlencoded') {
    const fields: FormFields = new Map();
    for (const [name, value] of new URLSearchParams(body.toString('utf8'))) add(fields, name, value);
    return fields;
  }
  return new Map();
}

/** True when the form is an RFC 8058 one-click request (`List-Unsubscribe=One-Click`). */
export function isOneClick(fields: FormFields): boolean {
  return fields.get('List-Unsubscribe')?.some((value) => value.trim() === 'One-Click') ?? false;
}
