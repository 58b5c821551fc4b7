/**
 * The pseudocode view (issue 11): select a feed line or a message and see the rules of Figure 2
 * the core applied, in order, with the values it compared, stepped line by line with
 * `pseudocode-next` / `pseudocode-prev`. Read through the test ids docs/playground.md lists.
 */
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { openPlayground, others, putOk, stableLeader } from './ui';

async function pause(page: Page): Promise<void> {
  if ((await page.getByTestId('play-pause').getAttribute('aria-label')) === 'Pause') await page.getByTestId('play-pause').click();
  await expect(page.getByTestId('play-pause')).toHaveAccessibleName('Play');
}

/** Which line is current, as its index among the lines. */
async function currentLine(page: Page): Promise<number> {
  return page.getByTestId('pseudocode-line').evaluateAll((els) => els.findIndex((e) => e.getAttribute('data-state') === 'current'));
}

test('a feed line shows the rules behind its event with their values, stepped next and back', async ({ page }) => {
  await openPlayground(page, { seed: 3, speed: 5 });
  const leader = await stableLeader(page);
  const follower = others(['n1', 'n2', 'n3'], leader)[0]!;
  await putOk(page, 'leader', 'x', '1');
  await page.getByTestId('feed-verbose').check();
  await pause(page);
  const feed = page.getByTestId('event-feed');
  const view = page.getByTestId('pseudocode');
  // The election: Rules for Candidates, the majority check with the vote count it compared.
  const won = feed.locator('li.selectable', { hasText: `${leader} won the vote for term` }).first();
  await won.click();
  await expect(view).toHaveAttribute('data-target', 'event');
  await expect(won).toHaveClass(/selected/);
  const majority = view.locator('[data-testid="pseudocode-line"][data-rule="Candidates 2"][data-holds="true"]');
  await expect(majority).toHaveAttribute('data-result', 'become leader');
  await expect(majority).toHaveAttribute('data-state', 'current');
  await expect(majority).toContainText(/granted [23] >= majority 2/);
  // A follower's commit: AppendEntries receiver 1-5, in order, stepped one line at a time.
  const commit = feed.locator('li.selectable', { hasText: `${follower} commits up to index` }).first();
  await commit.click();
  await expect(commit).toHaveClass(/selected/);
  // The view renders the new selection after the click: wait for its receiver steps before reading
  // the lines once (a read at once could still see the election's rules).
  const lines = page.getByTestId('pseudocode-line');
  await expect(view.locator('[data-testid="pseudocode-line"][data-rule^="AppendEntries receiver"]')).toHaveCount(5);
  const rules = await lines.evaluateAll((els) => els.map((e) => e.getAttribute('data-rule')));
  expect(rules.filter((r) => r!.startsWith('AppendEntries receiver'))).toEqual([1, 2, 3, 4, 5].map((n) => `AppendEntries receiver ${n}`));
  await expect.poll(() => currentLine(page)).toBe(0);
  await expect(page.getByTestId('pseudocode-prev')).toBeDisabled();
  const fifth = view.locator('[data-rule="AppendEntries receiver 5"]');
  const index = rules.indexOf('AppendEntries receiver 5');
  // Ahead of the cursor a line shows its rule, not yet its values.
  await expect(fifth).toHaveAttribute('data-state', 'ahead');
  await expect(fifth.locator('.rule-eval')).toHaveText('…');
  for (let i = 0; i < index; i++) {
    await page.getByTestId('pseudocode-next').click();
    await expect.poll(() => currentLine(page)).toBe(i + 1);
  }
  await expect(fifth).toHaveAttribute('data-state', 'current');
  await expect(fifth).toHaveAttribute('data-holds', 'true');
  await expect(fifth).toContainText(/leaderCommit (\d+) > commitIndex (\d+) → commitIndex = min\(leaderCommit, lastNewIndex\) = \d+/);
  await page.getByTestId('pseudocode-prev').click();
  await expect.poll(() => currentLine(page)).toBe(index - 1);
  await expect(fifth).toHaveAttribute('data-state', 'ahead');
  // The keys step too: ] forward, [ back.
  await page.keyboard.press(']');
  await expect(fifth).toHaveAttribute('data-state', 'current');
  await page.keyboard.press('[');
  await expect(fifth).toHaveAttribute('data-state', 'ahead');
  // A new selection starts at its first line.
  await won.click();
  await expect.poll(() => currentLine(page)).toBe(0);
});

test('an inspected AppendEntries shows why the leader sent it, then the receiver steps 1-5 with its values', async ({ page }) => {
  await openPlayground(page, { seed: 8, speed: 5 });
  await stableLeader(page);
  await pause(page);
  const clock = page.getByTestId('clock');
  const message = page.locator('[data-testid^="message-"][data-type="AppendEntries"]').first();
  for (let i = 0; i < 200 && (await message.count()) === 0; i++) {
    const steps = await clock.getAttribute('data-steps');
    await page.getByTestId('step').click();
    await expect(clock).not.toHaveAttribute('data-steps', steps!);
  }
  await message.click();
  const view = page.getByTestId('pseudocode');
  await expect(view).toHaveAttribute('data-target', 'message');
  await expect(view.locator('.pseudocode-section[data-role="sender"]')).toBeVisible();
  await expect(view.locator('[data-testid="pseudocode-line"][data-rule^="Leaders"]').first()).toBeVisible();
  await expect(page.getByTestId('pseudocode-note')).toContainText('has not received it yet');
  await page.getByTestId('play-pause').click();
  const receiver = view.locator('.pseudocode-section[data-role="receiver"]');
  await expect(receiver).toBeVisible();
  await pause(page);
  const first = receiver.getByTestId('pseudocode-line').first();
  await expect(first).toHaveAttribute('data-rule', 'AppendEntries receiver 1');
  await expect(first).toHaveAttribute('data-holds', 'false');
  await expect(receiver.locator('[data-rule="AppendEntries receiver 5"]')).toHaveCount(1);
  // Step to the receiver's first line: its values are the terms it compared.
  const senderLines = await view.locator('.pseudocode-section[data-role="sender"] [data-testid="pseudocode-line"]').count();
  for (let i = 0; i < senderLines; i++) await page.getByTestId('pseudocode-next').click();
  await expect(first).toHaveAttribute('data-state', 'current');
  await expect(first).toContainText(/term (\d+) < currentTerm \1 is false/);
  await page.getByTestId('pseudocode-prev').click();
  await expect(first).toHaveAttribute('data-state', 'ahead');
});

test.describe('on a phone (375 px)', () => {
  test.use({ viewport: { width: 375, height: 740 }, hasTouch: true, isMobile: true });

  test('the open view scrolls nothing sideways and its buttons are at least 40 px', async ({ page }) => {
    await openPlayground(page, { seed: 3, speed: 5 });
    const leader = await stableLeader(page);
    await putOk(page, 'leader', 'x', '1');
    await page.getByTestId('feed-verbose').check();
    await pause(page);
    const follower = others(['n1', 'n2', 'n3'], leader)[0]!;
    await page.getByTestId('event-feed').locator('li.selectable', { hasText: `${follower} commits up to index` }).first().tap();
    await expect(page.getByTestId('pseudocode-line').first()).toBeVisible();
    await page.getByTestId('pseudocode-next').tap();
    await expect(page.getByTestId('pseudocode')).toHaveAttribute('data-cursor', '1');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    const small = await page.getByTestId('pseudocode').locator('button').evaluateAll((els) => els
      .map((el) => el.getBoundingClientRect())
      .filter((r) => r.width < 40 || r.height < 40)
      .map((r) => `${Math.round(r.width)}x${Math.round(r.height)}`));
    expect(small).toEqual([]);
  });
});
