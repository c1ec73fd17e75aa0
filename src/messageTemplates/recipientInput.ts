/**
 * @module Who a message is rendered for, as requests name them: `{ contactId, …merge fields }` (the
 * caller's own data, not looked up: a composer renders from its data, and a lookup per line would
 * make a batch as slow as the store), or `{ email, … }`, which is looked up: the contact's id and
 * stored fields (`first_name`, `last_name`, `phone`, extra fields) become merge fields under the
 * given ones.
 */
import type { Recipient } from '../template/index.js';
import type { Contact, Store } from '../store/index.js';
import { MessageTemplateError } from './messageTemplateError.js';

/** A recipient as a request gives it. */
export type RecipientInput = Record<string, unknown>;

/** The merge fields of a stored contact. */
export function contactFields(contact: Contact): Recipient {
  return {
    ...contact.extra,
    extraField: contact.extra,
    contactId: contact.id,
    email: contact.email,
    phone: contact.phone ?? '',
    first_name: contact.firstName ?? '',
    last_name: contact.lastName ?? '',
    firstName: contact.firstName ?? '',
    lastName: contact.lastName ?? '',
  };
}

/**
 * The recipient to render for. `field` prefixes the fields named in errors (`recipient.`).
 * @throws MessageTemplateError `invalid_recipient` (not an object, neither contactId nor email, a bad
 *   contactId), `recipient_not_found` (an unknown e-mail).
 */
export async function resolveRecipient(
  store: Pick<Store, 'findContactByEmail'>,
  input: unknown,
  field = 'recipient',
): Promise<Recipient> {
  const name = (member: string) => (field === '' ? member : `${field}.${member}`);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new MessageTemplateError('invalid_recipient', `${field || 'the line'} must be a JSON object`, {
      field: field || 'line',
    });
  }
  const given = input as RecipientInput;
  if (given.contactId !== undefined) {
    const id = given.contactId;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) {
      throw new MessageTemplateError('invalid_recipient', `${name('contactId')} must be a positive integer`, {
        field: name('contactId'),
      });
    }
    return given as Recipient;
  }
  if (typeof given.email !== 'string' || given.email.trim() === '') {
    throw new MessageTemplateError('invalid_recipient', `${field || 'the line'} needs contactId or email`, {
      field: name('contactId'),
    });
  }
  const contact = await store.findContactByEmail(given.email);
  if (!contact) {
    throw new MessageTemplateError(
      'recipient_not_found',
      `there is no contact with the e-mail ${given.email}`,
      {
        field: name('email'),
      },
    );
  }
  return { ...contactFields(contact), ...given, contactId: contact.id };
}
