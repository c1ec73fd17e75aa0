/** @module `createPages`: the bytes a response sends are exactly the UTF-8 of the rendered page. */
import { describe, expect, test } from 'vitest';
import { bundledTranslators, supportedLocales } from '../i18n/index.js';
import { createPages, type PageFrame, type PageViews } from './createPages.js';

const views: { [V in keyof PageViews]: PageViews[V] } = {
  confirm: {
    address: 'j***@example.com',
    allGroups: false,
    channel: 'email',
    groups: ['Weekly <news>', 'Предложения & "offers"'],
    buttonText: 'Unsubscribe me',
    notice: 'Hi Jane — 😀',
    redirectHost: 'example.com',
  },
  done: {
    address: '+79*******89',
    allGroups: true,
    channel: 'sms',
    left: ['Новости'],
    groupCount: 0,
    undo: { days: 7 },
    askReason: { max: 500 },
  },
  undone: { address: 'j***@example.com', joined: ['Weekly news', '週刊'] },
  manager: {
    address: 'j***@example.com',
    channel: 'email',
    groups: [{ id: 1, name: 'Weekly news', description: 'Every Monday', checked: true }],
    saved: { joined: 'A, B and C', left: '', changed: true },
  },
  error: { title: 'This link is not valid', message: 'Ask the sender for a new one.' },
};

describe('createPages', () => {
  test('renderBytes is the UTF-8 of render, for every view, locale and frame', () => {
    const pages = createPages({ basePath: '/unsub' });
    const translators = bundledTranslators();
    for (const locale of supportedLocales) {
      const i18n = translators[locale];
      const frames: PageFrame[] = [
        { title: i18n.t('confirm.title'), i18n },
        { title: 'Ünsubscribe « ☃ »', logoUrl: 'https://example.com/logo.png?a=1&b=2', i18n },
      ];
      for (const frame of frames) {
        for (const view of Object.keys(views) as (keyof PageViews)[]) {
          // Twice: the second page reuses the frame's cached bytes.
          for (let i = 0; i < 2; i++) {
            const text = pages.render(view, frame, views[view] as never);
            const bytes = pages.renderBytes(view, frame, views[view] as never);
            expect(bytes.equals(Buffer.from(text, 'utf8'))).toBe(true);
          }
        }
      }
    }
  });

  test('a confirm page from the cached body is the page rendered in full, for any address and data', () => {
    const pages = createPages({ basePath: '' });
    const translators = bundledTranslators();
    const addresses = [
      'j***@example.com',
      'ä***@пример.рф',
      '+79*******89',
      "o'***@example.com",
      '<***@x',
      '',
      '=***@x',
    ];
    const variants: PageViews['confirm'][] = [
      views.confirm,
      { ...views.confirm, allGroups: true, groups: [], notice: undefined, redirectHost: undefined },
      { ...views.confirm, groups: ['Weekly <news>'] },
      { ...views.confirm, notice: 'Hello & welcome', buttonText: 'Leave' },
      { ...views.confirm, channel: 'sms', allGroups: true, groups: [] },
    ];
    for (const locale of ['en', 'ar', 'ru'] as const) {
      const i18n = translators[locale];
      const frame: PageFrame = { title: i18n.t('confirm.title'), i18n };
      // Twice round: the second takes every body from the cache.
      for (let i = 0; i < 2; i++) {
        for (const variant of variants) {
          for (const address of addresses) {
            const data = { ...variant, address };
            const bytes = pages.renderBytes('confirm', frame, data);
            expect(bytes.toString('utf8')).toBe(pages.render('confirm', frame, data));
          }
        }
      }
    }
  });
});
