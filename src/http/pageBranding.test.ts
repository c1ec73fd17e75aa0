/** @module Unit tests of the branding schema, `readBranding`, sender texts and address masking. */
import { describe, expect, test } from 'vitest';
import type { Contact, JsonValue } from '../store/index.js';
import { maskEmail, maskPhone } from './maskAddress.js';
import { brandingSettingKey, pageBrandingSchema, readBranding } from './pageBranding.js';
import { renderSenderText } from './renderSenderText.js';

const contact: Contact = {
  id: 42,
  email: 'jane@example.com',
  phone: null,
  firstName: '<b>Jane</b>',
  lastName: null,
  extra: { city: 'Riga' },
  createdAt: 0,
  updatedAt: 0,
};

describe('page branding', () => {
  test('the schema refuses non-https logos, broken tags and unknown fields, naming the field', () => {
    expect(pageBrandingSchema.safeParse({ logoUrl: 'https://x.example/l.png', confirm: false }).success).toBe(
      true,
    );
    for (const [value, field] of [
      [{ logoUrl: 'http://x.example/l.png' }, 'logoUrl'],
      [{ logoUrl: 'javascript:alert(1)' }, 'logoUrl'],
      [{ noticeText: 'Hi {{subscriber_firstname' }, 'noticeText'],
      [{ buttonText: '' }, 'buttonText'],
      [{ colour: 'red' }, ''],
    ] as const) {
      const parsed = pageBrandingSchema.safeParse(value);
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.path.join('.') ?? '').toBe(field);
    }
  });

  test('readBranding: missing is {}, invalid is {} and reported', async () => {
    const store = (value: JsonValue | undefined) => ({
      getSetting: async (key: string) => (key === brandingSettingKey ? value : undefined),
    });
    expect(await readBranding(store(undefined))).toEqual({});
    expect(await readBranding(store({ buttonText: 'Go' }))).toEqual({ buttonText: 'Go' });
    const reports: string[] = [];
    expect(await readBranding(store({ logoUrl: 'http://insecure' }), (m) => reports.push(m))).toEqual({});
    expect(reports[0]).toContain('logoUrl');
  });

  test('sender texts render subscriber tags as plain text; broken ones show as written', () => {
    expect(
      renderSenderText(
        '{{subscriber_firstname}} ({{subscriber_id}}) in {{extraField.city}}{{extraField.none}}',
        contact,
      ),
    ).toBe('<b>Jane</b> (42) in Riga');
    expect(renderSenderText('{{#each}}', contact)).toBe('{{#each}}');
    expect(renderSenderText('{{log subscriber_email}}x', contact)).toBe('{{log subscriber_email}}x');
  });

  test('masking', () => {
    expect(maskEmail('jane@example.com')).toBe('j***@example.com');
    expect(maskEmail('é@почта.рф')).toBe('é***@почта.рф');
    expect(maskEmail('nobody')).toBe('n***');
    expect(maskEmail('😀jane@example.com')).toBe('😀***@example.com');
    expect(maskEmail('😀')).toBe('😀***');
    expect(maskPhone('+79123456789')).toBe('+79*******89');
    expect(maskPhone('123')).toBe('***');
  });
});
