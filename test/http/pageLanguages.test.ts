/**
 * @module The public pages in the recipient's language over real HTTP: negotiation order (?lang=,
 * claim l, Accept-Language, defaultLocale, en), headers, right-to-left Arabic, sender texts and
 * group names per locale, and hostile ?lang= / Accept-Language that never reflect or fail.
 */
import { describe, expect, test } from 'vitest';
import { brandingSettingKey } from '../../src/http/index.js';
import { supportedLocales } from '../../src/i18n/index.js';
import { testBackends } from '../support/databases.js';
import { postForm, startHarness } from './httpHarness.js';

const backends = await testBackends('the PostgreSQL HTTP suite');

/** The `<html …>` tag of a page. */
function htmlTag(html: string): string {
  return /<html[^>]*>/.exec(html)?.[0] ?? '';
}

describe.each(backends)('page languages on $name', (backend) => {
  test('first match wins: ?lang=, then the link claim, then Accept-Language, then defaultLocale, then en', async (context) => {
    const h = await startHarness(context, backend);
    const plain = h.link({ action: 'unsubscribe' });
    const russian = h.link({ action: 'unsubscribe', locale: 'ru' });
    const page = async (url: string, acceptLanguage?: string) => {
      const response = await fetch(
        url,
        acceptLanguage ? { headers: { 'Accept-Language': acceptLanguage } } : {},
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('vary')).toMatch(/Accept-Language/i);
      return { language: response.headers.get('content-language'), html: await response.text() };
    };

    expect((await page(plain)).language).toBe('en');
    expect((await page(plain, 'de-AT,de;q=0.9,en;q=0.5')).language).toBe('de');
    expect((await page(plain, 'pt')).language).toBe('pt-BR');
    expect((await page(plain, 'zh')).language).toBe('zh-CN');
    const ru = await page(russian, 'de');
    expect(ru.language).toBe('ru');
    expect(htmlTag(ru.html)).toBe('<html lang="ru" dir="ltr">');
    expect(ru.html).toContain(
      'Отписать <strong><bdi>a***@example.com</bdi></strong> от всех email-рассылок?',
    );
    expect(ru.html).toContain('<option value="ru" lang="ru" selected>Русский</option>');
    expect((await page(`${russian}?lang=uk`, 'de')).language).toBe('uk');

    await h.store.setSetting(brandingSettingKey, { defaultLocale: 'fr' }, Date.now());
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the branding cache (1 s)
    expect((await page(plain)).language).toBe('fr');
    expect((await page(plain, 'sv, nb;q=0.8')).language).toBe('fr');
    expect((await page(plain, 'ja')).language).toBe('ja');
  });

  test('Arabic pages are right-to-left; every locale renders its own words on every page', async (context) => {
    const h = await startHarness(context, backend);
    const ar = await (await fetch(`${h.link({ action: 'manage' })}?lang=ar`)).text();
    expect(htmlTag(ar)).toBe('<html lang="ar" dir="rtl">');
    expect(ar).toContain('اشتراكاتك');

    const english = await (await fetch(h.link({ action: 'unsubscribe' }))).text();
    for (const locale of supportedLocales.filter((l) => l !== 'en')) {
      const url = h.link({ action: 'unsubscribe', locale });
      const html = await (await fetch(url)).text();
      expect(htmlTag(html), locale).toContain(`lang="${locale}"`);
      // The English sentences of the confirm page are nowhere on a translated one.
      for (const phrase of ['Unsubscribe <strong>', 'all email lists', 'Language', '>Change<']) {
        expect(english).toContain(phrase);
        expect(html, `${locale}: ${phrase}`).not.toContain(phrase);
      }
    }
  });

  test('done, manager, one-click and error pages follow the link locale', async (context) => {
    const h = await startHarness(context, backend);
    const done = await postForm(
      h.link({ action: 'unsubscribe_groups', groupIds: [h.news.id], locale: 'pl' }),
      {
        confirm: '1',
      },
    );
    expect(done.headers.get('content-language')).toBe('pl');
    expect(await done.text()).toContain('Wypisano Cię');

    const saved = await postForm(h.link({ action: 'manage', locale: 'de' }), {
      save: '1',
      group: String(h.offers.id),
    });
    const savedHtml = await saved.text();
    expect(savedHtml).toContain('Gespeichert.');

    const oneClick = await postForm(h.link({ action: 'unsubscribe', locale: 'ja' }), {
      'List-Unsubscribe': 'One-Click',
    });
    expect(oneClick.status).toBe(200);
    expect(oneClick.headers.get('content-language')).toBe('ja');
    expect(await oneClick.text()).toBe('配信を停止しました。\n');

    const bad = await fetch(`${h.baseUrl}/u/not-a-token?lang=tr`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-language')).toBe('tr');
    expect(await bad.text()).toContain('Bu bağlantı geçerli değil');

    await h.store.eraseContact({
      contactId: h.ann.id,
      at: Date.now(),
      suppressionKey: (c, a) => `${c}:${a}`,
    });
    const gone = await fetch(h.link({ action: 'unsubscribe', locale: 'es' }));
    expect(gone.status).toBe(410);
    expect(await gone.text()).toContain('Esta suscripción ya no existe');
    expect(h.logged).toEqual([]);
  });

  test('sender texts and group names per locale, falling back to the main ones', async (context) => {
    const h = await startHarness(context, backend);
    await h.store.setSetting(
      brandingSettingKey,
      {
        noticeText: 'Notice for everyone',
        buttonText: 'Leave',
        texts: { ru: { notice: 'Привет, {{subscriber_firstname}}!', button: 'Отписаться от всего' } },
      },
      Date.now(),
    );
    await h.store.setGroupNames(h.news.id, { en: 'News', de: 'Neuigkeiten' });
    const url = h.link({ action: 'unsubscribe_groups', groupIds: [h.news.id, h.offers.id] });
    const ru = await (await fetch(`${url}?lang=ru`)).text();
    expect(ru).toContain('Привет, Ann!');
    expect(ru).toContain('>Отписаться от всего</button>');
    expect(ru).toContain('<li>Новости</li>');
    const de = await (await fetch(`${url}?lang=de`)).text();
    expect(de).toContain('Notice for everyone');
    expect(de).toContain('>Leave</button>');
    expect(de).toContain('<li>Neuigkeiten</li>');
    expect(de).toContain('von diesen 2 Verteilern abmelden?');

    // Events keep the main name.
    await postForm(`${url}?lang=de`, { confirm: '1' });
    const events = await h.outbox();
    expect(events.at(-2)).toMatchObject({ event: 'mailing group unsubscribe', group_name: 'Новости' });
  });

  test('hostile ?lang= and Accept-Language fall back, are never reflected and never fail', async (context) => {
    const h = await startHarness(context, backend);
    const url = h.link({ action: 'unsubscribe' });
    for (const lang of ['../../x', '<script>alert(1)</script>', 'x'.repeat(10_240), '', 'ru\u0000']) {
      const response = await fetch(`${url}?lang=${encodeURIComponent(lang)}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-language')).toBe('en');
      const html = await response.text();
      if (lang.length > 1) expect(html).not.toContain(lang);
      expect(html).not.toContain('<script>');
    }
    const twice = await fetch(`${url}?lang=ru&lang=de`);
    expect(twice.status).toBe(200);
    for (const header of ['ru;q=2,,,;;;', 'x'.repeat(10_240), `${'zz-ZZ,'.repeat(1500)}ru`, '*', 'ÿÿÿ']) {
      const response = await fetch(url, { headers: { 'Accept-Language': header } });
      expect(response.status).toBe(200);
    }
    const claimed = await fetch(h.link({ action: 'unsubscribe', locale: 'sv' }), {
      headers: { 'Accept-Language': 'it' },
    });
    expect(claimed.headers.get('content-language')).toBe('it');
    expect(h.logged).toEqual([]);
  });
});
