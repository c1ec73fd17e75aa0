/** @module vitest configuration: unit tests beside the code, cross-part and browser tests under test/. */
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The examples import the package by name, as users do; in this checkout that is the source.
  resolve: { alias: { unsub: path.join(import.meta.dirname, 'src', 'index.ts') } },
  test: {
    include: ['src/**/*.test.ts', 'grammar/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores on these machines: forks keep native modules (better-sqlite3) isolated per file.
    pool: 'forks',
  },
});
