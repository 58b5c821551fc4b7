import { defineConfig } from 'vitest/config';

// Unit, scenario and simulation tests of every package run from here; Playwright runs separately.
export default defineConfig({
  test: {
    include: ['core/test/**/*.test.ts', 'node-server/test/**/*.test.ts', 'playground/test/**/*.test.{ts,tsx}'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
