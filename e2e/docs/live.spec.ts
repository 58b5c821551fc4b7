/**
 * The README's picture of live mode (`npm run -w e2e screenshots`; written to docs/live.png): the
 * real cluster that global-setup.ts starts, with a few writes, one follower isolated and falling
 * behind, and the feed narrating the nodes' own events.
 */
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { makeHealthy } from '../live/fixtures';
import { liveBaseURL } from '../live/support/cluster';
import { all, nodeState, others, putOk, stableLeader } from '../live/ui';

const out = (name: string) => fileURLToPath(new URL(`../../docs/${name}`, import.meta.url));

test.use({ viewport: { width: 1440, height: 1080 } });

test('live mode', async ({ page }) => {
  await makeHealthy();
  await page.goto(`${liveBaseURL}/?mode=live`);
  await expect(page.getByTestId('live-mode')).toHaveAttribute('data-state', 'connected');
  const leader = await stableLeader(page);
  for (const [k, v] of [['name', 'luffy'], ['ship', 'sunny'], ['crew', '10']] as const) await putOk(page, 'leader', k, v);
  const follower = others(all, leader)[1]!;
  await page.getByTestId(`isolate-${follower}`).click();
  for (const [k, v] of [['bounty', '3b'], ['goal', 'one-piece']] as const) await putOk(page, leader, k, v);
  await expect.poll(async () => (await nodeState(page, follower)).commitIndex < (await nodeState(page, leader)).commitIndex).toBe(true);
  await page.getByTestId(`node-${leader}`).click();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: out('live.png'), fullPage: true });
  await page.getByTestId('heal-all').click();
});
