/**
 * @module Strict base64url decoding. Node's decoder is lenient (it skips foreign characters and
 * ignores the unused low bits of the last character), so two different strings can decode to the
 * same bytes. Tokens must be canonical, or a one-character change could still verify.
 */

/**
 * Decodes unpadded base64url, or returns undefined unless `text` is exactly the canonical encoding
 * of the bytes (alphabet `A–Z a–z 0–9 - _`, no padding, zero unused bits).
 */
export function decodeBase64url(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64url');
  // Re-encoding is the simplest complete canonicality check: any skipped character, padding,
  // '+' or '/', or nonzero trailing bits makes the round trip differ.
  return bytes.toString('base64url') === text ? bytes : undefined;
}
