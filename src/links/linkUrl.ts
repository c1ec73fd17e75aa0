/**
 * @module Link URLs and the List-Unsubscribe headers built from them, and the reverse: the token
 * inside a pasted link.
 */
import type { LinkClaims } from './types.js';

/** `${baseUrl}/u/${token}` for every action except 'manage', which is `${baseUrl}/m/${token}`. */
export function linkUrl(baseUrl: string, claims: Pick<LinkClaims, 'action'>, token: string): string {
  // Tokens are base64url and dots only, so they need no escaping in a path.
  const base = baseUrl.endsWith('/') ? baseUrl.replace(/\/+$/, '') : baseUrl;
  return `${base}/${claims.action === 'manage' ? 'm' : 'u'}/${token}`;
}

/** `${baseUrl}/s/${code}`: a compact link (one page for every action; the code says which). */
export function compactLinkUrl(baseUrl: string, code: string): string {
  const base = baseUrl.endsWith('/') ? baseUrl.replace(/\/+$/, '') : baseUrl;
  return `${base}/s/${code}`;
}

/** RFC 2369 + RFC 8058 headers for one unsubscribe URL. */
export function listUnsubscribeHeaders(url: string): {
  'List-Unsubscribe': string;
  'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click';
} {
  return { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}

/**
 * The token in a `/u/`, `/m/` or compact `/s/` link (with the kind of page it was under) or in a
 * bare token; undefined when `text` is a URL without such a path.
 */
export function tokenFromLink(text: string): { token: string; page?: 'u' | 'm' | 's' } | undefined {
  const trimmed = text.trim();
  if (!/^[a-z][a-z0-9+.-]*:/i.test(trimmed)) return { token: trimmed };
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return undefined;
  }
  const match = /\/(u|m|s)\/([^/]+)\/?$/.exec(url.pathname);
  if (!match) return undefined;
  return { token: match[2] as string, page: match[1] as 'u' | 'm' | 's' };
}
