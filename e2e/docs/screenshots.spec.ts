/**
 * The README's pictures: an election, a partition and the Figure 8 violation, taken from the
 * real playground (`npm run -w e2e screenshots`; written to docs/).
 */
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { openPlayground } from '../sim/ui';

const out = (name: string) => fileURLToPath(new URL(`../../docs/${name}`, import.meta.url));

test.use({ viewport: { width: 1440, height: 1080 } });

async function pause(page: Page): Promise<void> {
  if ((await page.getByTestId('play-pause').getAttribute('aria-label')) === 'Pause') await page.getByTestId('play-pause').click();
  await expect(page.getByTestId('play-pause')).toHaveAccessibleName('Play');
  await page.evaluate(() => window.scrollTo(0, 0));
}

test('an election', async ({ page }) => {
  await openPlayground(page, { seed: 3, nodes: 5, speed: 0.3, extra: 'paused=1' });
  // Step event by event until a candidate has votes back and more RequestVote traffic on the wire.
  const caught = () => page.evaluate(() => document.querySelector('g[data-role="candidate"] .vote-granted') !== null
    && document.querySelectorAll('[data-type="RequestVote"], [data-type="RequestVoteResponse"]').length >= 2);
  for (let i = 0; i < 400 && !(await caught()); i++) await page.getByTestId('step').click();
  expect(await caught()).toBe(true);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: out('election.png') });
});

test('a partition', async ({ page }) => {
  await openPlayground(page, { seed: 2, nodes: 5, speed: 1 });
  await page.getByTestId('scenario-partitioned-old-leader').click();
  // The moment the majority has its new leader while the old one is cut off with its buddy.
  await expect(page.getByTestId('scenario-run')).toContainText('leads the majority', { timeout: 60_000 });
  await pause(page);
  await page.screenshot({ path: out('partition.png') });
});

test('the Figure 8 violation', async ({ page }) => {
  await openPlayground(page, { seed: 1, nodes: 5, speed: 3 });
  await page.getByTestId('scenario-figure8-unsafe').click();
  await expect(page.getByTestId('scenario-result-figure8-unsafe')).toHaveAttribute('data-status', 'pass', { timeout: 60_000 });
  await expect(page.getByTestId('invariants')).toHaveAttribute('data-status', 'violated');
  await page.screenshot({ path: out('figure8-violation.png'), fullPage: true });
});
