/**
 * @module Chromium for the browser tests: Debian's `chromium` (or `UNSUB_CHROMIUM`) through
 * playwright-core; no browser is ever downloaded. When none is found the browser suites skip with one
 * line saying how to install it — unless the run requires them (`CI` set, or `UNSUB_CHROMIUM` set
 * explicitly), in which case they fail with that same line. The PostgreSQL suites behave alike
 * (`databases.ts`).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe } from 'vitest';

/** Where Debian's package puts the browser. */
export const defaultChromiumPath = '/usr/bin/chromium';

/** The flags every browser test launches with (no sandbox as root, nothing phoning home). */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
];

/** What the environment says about the browser. */
export interface ChromiumCheck {
  executablePath: string;
  /** An executable file is there. */
  found: boolean;
  /** A missing browser is a failure, not a skip (`CI` or `UNSUB_CHROMIUM` set). */
  required: boolean;
  /** The one line printed when it is missing (skip) or thrown (required). */
  message: string;
}

/**
 * Finds the browser from the environment. Pure but for `exists` (injected for its test).
 * @param env the variables to read (`UNSUB_CHROMIUM`, `CI`)
 */
export function checkChromium(
  env: Readonly<Record<string, string | undefined>>,
  exists: (file: string) => boolean = existsSync,
): ChromiumCheck {
  const explicit = env.UNSUB_CHROMIUM?.trim() || undefined;
  const executablePath = explicit ?? defaultChromiumPath;
  const found = exists(executablePath);
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  const required = Boolean(explicit) || ci;
  const where = explicit ? `UNSUB_CHROMIUM=${explicit}` : defaultChromiumPath;
  const message = found
    ? `Chromium at ${executablePath}`
    : `Chromium not found at ${where}: install it with \`apt-get install -y chromium\` (or point UNSUB_CHROMIUM at a Chromium binary)` +
      (required ? `; ${explicit ? 'UNSUB_CHROMIUM' : 'CI'} is set, so the browser tests must run` : '');
  return { executablePath, found, required, message };
}

/** The check for this test process. */
export const chromiumCheck: ChromiumCheck = checkChromium(process.env);

let warned = false;

/**
 * `describe` for a browser suite: launches Chromium once before its tests and closes it after. With
 * no browser it skips (one warning line per file) or, when required, fails every test with the line.
 * @returns nothing; `fn` receives a getter for the launched browser
 */
export function describeBrowser(name: string, fn: (browser: () => Browser) => void): void {
  if (!chromiumCheck.found && !chromiumCheck.required) {
    if (!warned) console.warn(`${chromiumCheck.message}: skipping the browser tests`);
    warned = true;
    describe.skip(name, () => fn(() => undefined as unknown as Browser));
    return;
  }
  describe(name, () => {
    let launched: Browser | undefined;
    beforeAll(async () => {
      if (!chromiumCheck.found) throw new Error(chromiumCheck.message);
      launched = await chromium.launch({ executablePath: chromiumCheck.executablePath, args: chromiumArgs });
    });
    afterAll(async () => {
      await launched?.close();
    });
    fn(() => {
      if (!launched) throw new Error('the browser is not launched yet (use it inside a test)');
      return launched;
    });
  });
}
