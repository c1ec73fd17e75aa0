/**
 * @module The start of a response body as text, cut at a UTF-8 character boundary so a stored
 * excerpt never ends in half a character.
 */

/** The longest response excerpt we keep per attempt: 20 KB. */
export const responseExcerptBytes = 20 * 1024;

/**
 * Decodes at most `limit` bytes of `bytes` as UTF-8 text whose own UTF-8 encoding is at most
 * `limit` bytes: an incomplete character at the cut is dropped, invalid bytes become U+FFFD.
 */
export function utf8Excerpt(bytes: Uint8Array, limit: number = responseExcerptBytes): string {
  // A streaming decoder holds back an incomplete trailing sequence instead of emitting U+FFFD.
  const text = new TextDecoder('utf-8').decode(bytes.subarray(0, limit), { stream: true });
  const encoded = Buffer.from(text, 'utf8');
  if (encoded.length <= limit) return text;
  // Replacement characters (3 bytes each) made the text longer than the bytes it came from; the
  // re-encoded text is valid UTF-8, so cutting it again only drops one partial character.
  return new TextDecoder('utf-8').decode(encoded.subarray(0, limit), { stream: true });
}
