/**
 * Playwright for the playground: headless system Chromium (see scripts/chromium.ts).
 *
 * - `sim`: the in-browser simulator, driven as a user would, against the production build served
 *   by `vite preview`.
 * - `perf`: main-thread measurements, alone after the functional tests.
 * - `live`: live mode against a real 3-node cluster started through the supervisor (`npm start`) on
 *   test ports when the first live spec asks; the runner owns it (live/support/global-setup.ts),
 *   stops it at the end and fails the run if any of its processes is left. Real processes want a
 *   calm machine: the live specs run one at a time, after the simulator's (`npm run test:live` runs
 *   them alone).
 */
import { defineConfig } from '@playwright/test';
import { liveBaseURL } from './live/support/cluster';
import { chromiumArgs, findChromium, installHint } from './scripts/chromium';

const executablePath = findChromium();
if (!executablePath) throw new Error(installHint);

const port = Number(process.env.E2E_PORT ?? 4391);
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  fullyParallel: true,
  // The machine the suite is sized for has 2 cores; each page runs a simulation worker.
  workers: Number(process.env.E2E_WORKERS ?? 2),
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  outputDir: 'test-results',
  globalSetup: './live/support/global-setup.ts',
  use: {
    baseURL,
    headless: true,
    viewport: { width: 1440, height: 1000 },
    launchOptions: { executablePath, args: chromiumArgs() },
    // A trace of every test, kept when it fails: actions and DOM snapshots, without the screencast.
    // Headless Chromium encodes screencast frames on the CPU; with two pages on two cores that made
    // every action 4-5x slower (H1 took 41 s with it, 14 s without, 8 s with no trace) and pushed
    // H1 past its 90 s in CI.
    trace: { mode: 'retain-on-failure', snapshots: true, screenshots: false },
  },
  projects: [
    { name: 'sim', testDir: './sim' },
    // Measured alone, after the functional tests, so that their load does not skew the numbers: one
    // spec at a time (two pages measured at once share two cores: about 25% more CPU in the longest
    // task here), and without a trace, whose DOM snapshots watch every mutation on the thread measured.
    {
      name: 'perf',
      testDir: './perf',
      testIgnore: 'soak.spec.ts',
      dependencies: ['sim'],
      workers: 1,
      fullyParallel: false,
      use: { trace: 'off' },
    },
    {
      name: 'live',
      testDir: './live',
      testMatch: '*.spec.ts',
      dependencies: ['perf'],
      workers: 1,
      fullyParallel: false,
      // The real-process limits of docs/scenarios.md add up: E1 restarts three processes and waits on each.
      timeout: 180_000,
      use: { baseURL: liveBaseURL },
    },
    ...(process.env.E2E_SCREENSHOTS ? [{ name: 'docs', testDir: './docs', use: { baseURL } }] : []),
    // Ten real minutes at 1x (issue 11's long run): on request only (`npm run -w e2e soak`).
    ...(process.env.E2E_SOAK ? [{ name: 'soak', testDir: './perf', testMatch: 'soak.spec.ts', use: { baseURL } }] : []),
  ],
  webServer: {
    command: `npm run -w @raft-kv/playground build && npm run -w @raft-kv/playground preview -- --host 127.0.0.1 --port ${port}`,
    cwd: '..',
    url: baseURL,
    reuseExistingServer: process.env.E2E_REUSE_SERVER === '1',
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
