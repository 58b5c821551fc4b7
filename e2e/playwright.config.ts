/**
 * Playwright for the playground: headless system Chromium (see scripts/chromium.ts), against the
 * production build served by `vite preview`. Specs in sim/ drive the in-browser simulator as a
 * user would; live-mode specs (against real nodes) get their own project later.
 */
import { defineConfig } from '@playwright/test';
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
  use: {
    baseURL,
    headless: true,
    viewport: { width: 1440, height: 1000 },
    launchOptions: { executablePath, args: chromiumArgs() },
    trace: 'retain-on-failure',
  },
  projects: [
    { name: 'sim', testDir: './sim' },
    // Measured alone, after the functional tests, so that their load does not skew the numbers.
    { name: 'perf', testDir: './perf', dependencies: ['sim'] },
    ...(process.env.E2E_SCREENSHOTS ? [{ name: 'docs', testDir: './docs' }] : []),
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
