/**
 * The pictures of the README and docs/playground.md: an election, a partition, the Figure 8
 * violation, the first screen, two branches, the safety panel and the pseudocode view, taken from the real playground
 * (`npm run -w e2e screenshots`; written to docs/).
 */
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { openPlayground, putOk, stableLeader } from '../sim/ui';

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
  await page.getByTestId('until-election').click();
  const clock = page.getByTestId('clock');
  for (let i = 0; i < 400 && !(await caught()); i++) {
    // Each step is drawn before it is looked at: the moment wanted lasts a single step.
    const steps = await clock.getAttribute('data-steps');
    await page.getByTestId('step').click();
    await expect(clock).not.toHaveAttribute('data-steps', steps!);
  }
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

test.describe('at 1280x800', () => {
  test.use({ viewport: { width: 1280, height: 800 } });

  test('the first screen', async ({ page }) => {
    await page.goto('/?seed=4&speed=0.1');
    await page.getByTestId('start-here').click();
    await expect(page.getByTestId('scenario-run')).toContainText('asks the others', { timeout: 60_000 });
    await pause(page);
    await page.screenshot({ path: out('first-screen.png') });
  });
});

test('two branches', async ({ page }) => {
  await openPlayground(page, { seed: 5, nodes: 5, speed: 10 });
  await expect(page.locator('g[data-role="leader"]')).toHaveCount(1);
  const leader = (await page.locator('g[data-role="leader"]').getAttribute('data-testid'))!.slice('node-'.length);
  await page.getByTestId(`kill-${leader}`).click();
  await expect(page.locator('g[data-role="leader"]')).toHaveCount(1);
  await pause(page);
  await page.getByTestId('time-scrubber').fill('1500');
  await page.getByTestId(`isolate-${leader}`).click();
  await page.getByTestId('play-pause').click();
  await expect(page.locator('g[data-minority="true"]')).toHaveCount(1);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="clock"]')?.getAttribute('data-now')) > 4000);
  await pause(page);
  await page.locator('.stage').screenshot({ path: out('branch.png') });
});

test('the safety panel', async ({ page }) => {
  await openPlayground(page, { seed: 1, nodes: 5, speed: 20 });
  await page.getByTestId('protocol-without-commit-rule').click();
  await expect(page.getByTestId('protocol-result-commit-rule')).toHaveAttribute('data-status', 'fail', { timeout: 60_000 });
  await page.getByTestId('safety-panel').screenshot({ path: out('safety-panel.png') });
});

test('the pseudocode view', async ({ page }) => {
  await openPlayground(page, { seed: 3, nodes: 5, speed: 5 });
  const leader = await stableLeader(page, ['n1', 'n2', 'n3', 'n4', 'n5']);
  await page.getByTestId('feed-verbose').check();
  await putOk(page, 'leader', 'x', '1');
  await pause(page);
  // The leader's commit of the write: an AppendEntries answer, then Leaders rule 4 with every matchIndex.
  await page.getByTestId('event-feed').locator('li.selectable', { hasText: `${leader} commits up to index` }).first().click();
  const view = page.getByTestId('pseudocode');
  await expect(view.locator('[data-rule="Leaders 4"][data-holds="true"]')).toHaveCount(1);
  for (let i = 0; i < 2 && (await page.getByTestId('pseudocode-next').isEnabled()); i++) await page.getByTestId('pseudocode-next').click();
  await view.screenshot({ path: out('pseudocode.png') });
});
