/**
 * Time you can trust (issue 11): keys work wherever the focus is, ← and → step one event back and
 * forward, "run until" stops where it says, acting in the past starts a branch that can be
 * switched back, and a copied link reproduces the state hash in a fresh page at any speed.
 */
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { kill, openPlayground, simNow, stableLeader, waitSim } from './ui';

const hash = (page: Page) => page.getByTestId('state-hash').getAttribute('data-hash');
const clockTime = async (page: Page) => Number(await page.getByTestId('clock').getAttribute('data-time'));

async function pause(page: Page): Promise<void> {
  await page.getByTestId('play-pause').click();
  await expect(page.getByTestId('play-pause')).toHaveAccessibleName('Play');
}

/** Presses a key and waits until the clock shows a different moment. */
async function pressAndWaitForMove(page: Page, key: string): Promise<void> {
  const before = await page.getByTestId('clock').getAttribute('data-time');
  await page.keyboard.press(key);
  await expect(page.getByTestId('clock')).not.toHaveAttribute('data-time', before!);
}

test('→ and ← step one event forward and back, wherever the focus is (after clicking a button too)', async ({ page }) => {
  await openPlayground(page, { seed: 8, speed: 5 });
  await stableLeader(page);
  await pause(page);
  // Focus is on the play button now: the keys still work (they did not before).
  await expect(page.getByTestId('play-pause')).toBeFocused();
  const seen: { t: number; hash: string | null }[] = [{ t: await clockTime(page), hash: await hash(page) }];
  for (let i = 0; i < 4; i++) {
    await pressAndWaitForMove(page, 'ArrowRight');
    seen.push({ t: await clockTime(page), hash: await hash(page) });
  }
  expect(new Set(seen.map((s) => s.t)).size).toBe(5);
  for (let i = seen.length - 2; i >= 1; i--) {
    await pressAndWaitForMove(page, 'ArrowLeft');
    expect(await clockTime(page)).toBe(seen[i]!.t);
    expect(await hash(page)).toBe(seen[i]!.hash);
  }
  // Space plays, even with the focus on a button; typing in a field does not.
  await page.getByTestId('client-key').fill('spaces in a key');
  await expect(page.getByTestId('client-key')).toHaveValue('spaces in a key');
  await expect(page.getByTestId('play-pause')).toHaveAccessibleName('Play');
  await page.getByTestId('step').focus();
  await page.keyboard.press(' ');
  await expect(page.getByTestId('play-pause')).toHaveAccessibleName('Pause');
});

test('run until the next election, the next commit', async ({ page }) => {
  await openPlayground(page, { seed: 6, speed: 5 });
  const leader = await stableLeader(page);
  await pause(page);
  await kill(page, leader);
  await page.getByTestId('until-election').click();
  await expect(page.locator('g[data-precandidate="true"], g[data-role="candidate"]')).not.toHaveCount(0);
  await expect(page.getByTestId('play-pause')).toHaveAccessibleName('Play');
  await page.keyboard.press('c');
  await expect(page.locator('g[data-role="leader"]')).toHaveCount(1);
});

test('acting in the past starts a branch; the old future stays and can be switched back to', async ({ page }) => {
  await openPlayground(page, { seed: 5, speed: 10 });
  const leader = await stableLeader(page);
  await kill(page, leader);
  await waitSim(page, 2000);
  await pause(page);
  const endHash = await hash(page);
  const end = await simNow(page);
  await page.getByTestId('time-scrubber').fill('300');
  await expect(page.getByTestId('in-past')).toBeVisible();
  await page.getByTestId(`isolate-${leader}`).click();
  await expect(page.getByTestId('branches')).toBeVisible();
  await expect(page.getByTestId('branch-1')).toHaveText('main');
  await expect(page.getByTestId('branch-2')).toHaveAttribute('data-current', 'true');
  await page.getByTestId('play-pause').click();
  await waitSim(page, 2500);
  await expect(page.getByTestId(`node-${leader}`)).not.toHaveAttribute('data-role', 'down');
  // Back to the old future: the leader was killed there, and its end is where it was.
  await page.getByTestId('branch-1').click();
  await expect(page.getByTestId('branch-1')).toHaveAttribute('data-current', 'true');
  await page.getByTestId('time-scrubber').fill(String(end));
  await expect(page.getByTestId(`node-${leader}`)).toHaveAttribute('data-role', 'down');
  await expect(page.getByTestId('state-hash')).toHaveAttribute('data-hash', endHash!);
  // Each action is a mark on the scrubber.
  await expect(page.getByTestId('scrubber-marks')).toHaveAttribute('data-count', '1');
});

for (const speed of [0.1, 10]) {
  test(`a copied link reproduces the state hash after a kill, a one-way cut, loss and load, at ${speed}x`, async ({ page, context }) => {
    await openPlayground(page, { seed: 21, nodes: 5, speed });
    if (speed < 1) {
      // Slowly: act at the page's pace, every action a few simulated hundred ms apart.
      await page.getByTestId('speed').fill('0'); // 1x for the first election, then back down
      await stableLeader(page, ['n1', 'n2', 'n3', 'n4', 'n5']);
      await page.getByTestId('speed').fill('-1');
      await expect(page.getByTestId('speed-label')).toHaveText('0.1x');
    }
    const leader = await stableLeader(page, ['n1', 'n2', 'n3', 'n4', 'n5']);
    await kill(page, leader);
    await waitSim(page, 100);
    const others = ['n1', 'n2', 'n3', 'n4', 'n5'].filter((id) => id !== leader);
    await page.getByTestId(`link-${others[0]}-${others[1]}`).click();
    await page.getByTestId('link-cut-forward').click();
    await page.getByTestId('loss-rate').fill('0.1');
    await page.getByTestId('client-load').selectOption('20');
    await waitSim(page, 300);
    await pause(page);
    await page.getByTestId('copy-link').click();
    const link = await page.getByTestId('share-link').getAttribute('href');
    expect(link).toContain('script=');
    const t = await clockTime(page);
    const original = await hash(page);
    expect(Number(new URL(link!).searchParams.get('t'))).toBe(t);

    const fresh = await context.newPage();
    await fresh.goto(link!);
    await expect(fresh.getByTestId('clock')).toHaveAttribute('data-time', String(t));
    await expect(fresh.getByTestId('state-hash')).toHaveAttribute('data-hash', original!);
    await expect(fresh.getByTestId(`node-${leader}`)).toHaveAttribute('data-role', 'down');
    await expect(fresh.getByTestId('loaded-run')).toHaveAttribute('data-status', 'replayed');
    await fresh.close();
  });
}
