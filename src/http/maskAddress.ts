/**
 * @module Masked addresses for the public pages: enough for a recipient to recognise their own
 * address (`j***@example.com`, `+79*******89`), too little for whoever else holds the link.
 */

/** The first code point of a non-empty string (a surrogate pair stays whole), without splitting it all. */
function firstCharacter(text: string): string {
  return String.fromCodePoint(text.codePointAt(0) as number);
}

/** `jane@example.com` → `j***@example.com`; a string without `@` is masked whole. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return email.length === 0 ? '' : `${firstCharacter(email)}***`;
  return `${firstCharacter(email)}***${email.slice(at)}`;
}

/** `+79123456789` → `+79*******89`: the leading `+` and two digits, stars, the last two digits. */
export function maskPhone(phone: string): string {
  const plus = phone.startsWith('+') ? '+' : '';
  const digits = phone.slice(plus.length);
  if (digits.length <= 4) return plus + '*'.repeat(digits.length);
  return plus + digits.slice(0, 2) + '*'.repeat(digits.length - 4) + digits.slice(-2);
}

/** The masked address a link of `channel` goes to: the phone for SMS when known, else the e-mail. */
export function maskAddress(
  contact: { email: string; phone: string | null },
  channel: 'email' | 'sms',
): string {
  return channel === 'sms' && contact.phone ? maskPhone(contact.phone) : maskEmail(contact.email);
}
