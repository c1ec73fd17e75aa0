/** @module The browser detection: found, skipped with the install line, or required and failing. */
import { describe, expect, test } from 'vitest';
import { checkChromium, defaultChromiumPath } from './browser.js';

const none = () => false;
const only = (file: string) => (candidate: string) => candidate === file;

describe('checkChromium', () => {
  test('finds Debian chromium at its default path', () => {
    const check = checkChromium({}, only(defaultChromiumPath));
    expect(check).toMatchObject({ executablePath: defaultChromiumPath, found: true, required: false });
  });

  test('missing and not required: a skip with the install line', () => {
    const check = checkChromium({}, none);
    expect(check.found).toBe(false);
    expect(check.required).toBe(false);
    expect(check.message).toContain('apt-get install -y chromium');
    expect(check.message).toContain(defaultChromiumPath);
  });

  test('CI set: missing is a failure with the same install line', () => {
    const check = checkChromium({ CI: 'true' }, none);
    expect(check.required).toBe(true);
    expect(check.message).toContain('apt-get install -y chromium');
    expect(check.message).toContain('CI is set');
    expect(checkChromium({ CI: 'false' }, none).required).toBe(false);
    expect(checkChromium({ CI: '' }, none).required).toBe(false);
  });

  test('UNSUB_CHROMIUM set explicitly: that path is used and required', () => {
    expect(checkChromium({ UNSUB_CHROMIUM: '/opt/chrome' }, only('/opt/chrome'))).toMatchObject({
      executablePath: '/opt/chrome',
      found: true,
      required: true,
    });
    const missing = checkChromium({ UNSUB_CHROMIUM: '/opt/chrome' }, only(defaultChromiumPath));
    expect(missing.found).toBe(false);
    expect(missing.required).toBe(true);
    expect(missing.message).toContain('UNSUB_CHROMIUM=/opt/chrome');
    expect(missing.message).toContain('apt-get install -y chromium');
  });

  test('an empty UNSUB_CHROMIUM counts as unset', () => {
    expect(checkChromium({ UNSUB_CHROMIUM: ' ' }, none)).toMatchObject({
      executablePath: defaultChromiumPath,
      required: false,
    });
  });
});
