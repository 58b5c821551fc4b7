import { defineConfig } from 'vitest/config';

// Unit, scenario and simulation tests of every package, and the docs' drift test, run from here; Playwright runs separately.
// Real-process tests run one file at a time: they start node processes and the machine has 2 cores.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'core', include: ['core/test/**/*.test.ts'], testTimeout: 120_000 } },
      {
        test: {
          name: 'node-server',
          include: ['node-server/test/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      { test: { name: 'playground', include: ['playground/test/**/*.test.{ts,tsx}'], testTimeout: 60_000 } },
      // The docs against the code: links, environment variables, test hooks (docs/test/drift.ts).
      { test: { name: 'docs', include: ['docs/test/**/*.test.ts'] } },
    ],
  },
});
