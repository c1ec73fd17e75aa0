/**
 * @module The console's language over HTTP: `?lang=` (remembered in a cookie), then
 * `Accept-Language`, then `en`; only `en` and `ru`; `Content-Language` and `Vary: Accept-Language`
 * on every page; hostile `?lang=` values fall back without being echoed; the switch keeps the
 * page's other query parameters.
 */
import { expect, test } from 'vitest';
import { postForm, signIn, startConsole } from './consoleHarness.js';

test('sign-in page: Accept-Language ru → Russian, ar → English, headers say so', async (context) => {
  const { baseUrl } = await startConsole(context);
  const ru = await fetch(`${baseUrl}/signin`, { headers: { 'accept-language': 'ar, ru;q=0.8, en;q=0.5' } });
  expect(ru.headers.get('content-language')).toBe('ru');
  expect(ru.headers.get('vary')).toMatch(/Accept-Language/i);
  const html = await ru.text();
  expect(html).toContain('<html lang="ru" dir="ltr">');
  expect(html).toContain('Токен администратора');
  expect(html).not.toContain('Admin token');

  const ar = await fetch(`${baseUrl}/signin`, { headers: { 'accept-language': 'ar' } });
  expect(ar.headers.get('content-language')).toBe('en');
  expect(await ar.text()).toContain('<html lang="en" dir="ltr">');
});

test('?lang=ru is remembered in a cookie; ?lang=en switches back; the refused sign-in is Russian', async (context) => {
  const { baseUrl } = await startConsole(context);
  const switched = await fetch(`${baseUrl}/signin?lang=ru`, { headers: { 'accept-language': 'en' } });
  const cookie = (switched.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  expect(cookie).toBe('unsub_console_lang=ru');
  expect(switched.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Lax/);
  const later = await fetch(`${baseUrl}/signin`, { headers: { cookie, 'accept-language': 'en' } });
  expect(later.headers.get('content-language')).toBe('ru');

  const refused = await fetch(`${baseUrl}/signin`, {
    method: 'POST',
    headers: { cookie },
    body: new URLSearchParams({ token: 'wrong', next: '/groups' }),
  });
  expect(refused.status).toBe(401);
  expect(await refused.text()).toContain('Это не токен администратора');

  // Signed out, /dashboard?lang=ru sends to sign-in and remembers the choice on the way.
  const redirected = await fetch(`${baseUrl}/dashboard?lang=ru`, { redirect: 'manual' });
  expect(redirected.status).toBe(303);
  expect(redirected.headers.get('set-cookie')).toContain('unsub_console_lang=ru');

  const back = await fetch(`${baseUrl}/signin?lang=en`, { headers: { cookie } });
  expect(back.headers.get('content-language')).toBe('en');
  expect(back.headers.get('set-cookie')).toContain('unsub_console_lang=en');
});

test('signed in: plurals in Russian, the switch keeps the query, hostile ?lang= is not echoed', async (context) => {
  const { baseUrl } = await startConsole(context);
  const session = await signIn(baseUrl);
  const get = (path: string, language = 'ru') =>
    fetch(`${baseUrl}${path}`, { headers: { cookie: session.cookie, 'accept-language': language } });

  for (const [count, text] of [
    [1, '1 доставка снова поставлена в очередь.'],
    [3, '3 доставки снова поставлены в очередь.'],
    [5, '5 доставок снова поставлено в очередь.'],
    [21, '21 доставка снова поставлена в очередь.'],
  ] as const) {
    expect(await (await get(`/deliveries?replayed=${count}`)).text()).toContain(text);
  }
  expect(await (await get('/deliveries?replayed=2', 'en')).text()).toContain('2 deliveries queued again.');

  const page = await (await get('/deliveries?status=failed')).text();
  expect(page).toMatch(/<form method="get" action="\/deliveries" class="lang">/);
  expect(page).toContain('<input type="hidden" name="status" value="failed">');
  expect(page).toContain('<option value="ru" lang="ru" selected>Русский</option>');

  for (const hostile of ['../../x', '<script>alert(1)</script>', 'x'.repeat(10_240), 'ar']) {
    const response = await get(`/groups?lang=${encodeURIComponent(hostile)}`, 'en');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-language')).toBe('en');
    expect(response.headers.get('set-cookie')).toBeNull();
    const html = await response.text();
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('../../x');
  }
});

test('template check in Russian: lint problems said by code, the count with its plural', async (context) => {
  const { baseUrl } = await startConsole(context);
  const session = await signIn(baseUrl);
  const check = async (language: string) => {
    const response = await postForm(
      `${baseUrl}/templates/check`,
      { name: 'x', channel: 'email', subject: 'Hi <<link_unsubscribe>>', html: '<p>no link</p>', text: '' },
      session,
      { accept: 'application/json', 'accept-language': language },
    );
    return (await response.json()) as {
      errors: { code: string; message: string; hint?: string }[];
      texts: { found: string };
    };
  };
  const ru = await check('ru');
  expect(ru.errors.map((error) => error.code).sort()).toEqual(['missing_unsubscribe', 'tag_in_subject']);
  expect(ru.errors.map((error) => error.message).sort()).toEqual([
    'В шаблоне нет ссылки отписки.',
    'Ссылки отписки нельзя ставить в тему письма.',
  ]);
  expect(ru.texts.found).toBe('Найдено 2 ошибки, их нужно исправить.');
  const en = await check('en');
  expect(en.errors.map((error) => error.message)).toContain('the template has no unsubscribe link');
  expect(en.texts.found).toBe('Found 2 errors to fix.');
});
