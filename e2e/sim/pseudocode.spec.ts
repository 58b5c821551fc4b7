/**
 * The pseudocode view (issue 11): select a feed line or a message and see the rules of Figure 2
 * the core applied, in order, with the values it compared, stepped line by line with
 * `pseudocode-next` / `pseudocode-prev`. Read through the test ids docs/playground.md lists.
 */
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { openPlayground, stableLeader } from './ui';

async function pause(page: Page): Promise<void> {
  if ((await page.getByTestId('play-pause').getAttribute('aria-label')) === 'Pause') await page.getByTestId('play-pause').click();
  await expect(page.getByTestId('play-pause')).toHaveAccessibleName('Play');
}

/** Which line is current, as its index among the lines. */
async function currentLine(page: Page): Promise<number> {
  return page.getByTestId('pseudocode-line').evaluateAll((els) => els.findIndex((e) => e.getAttribute('data-state') === 'current'));
}

test('a feed line of an election shows the candidate rules with their values, stepped next and back', async ({ page }) => {
  await openPlayground(page, { seed: 3, speed: 5 });
  const leader = await stableLeader(page);
  await pause(page);
  const won = page.getByTestId('event-feed').locator('li.selectable', { hasText: `${leader} won the vote for term` }).first();
  await won.click();
  const view = page.getByTestId('pseudocode');
  await expect(view).toBeVisible();
  await expect(view).toHaveAttribute('data-target', 'event');
  await expect(won).toHaveClass(/selected/);
  const lines = page.getByTestId('pseudocode-line');
  // The majority check of Rules for Candidates, with the vote count it compared.
  const majority = view.locator('[data-testid="pseudocode-line"][data-rule="Candidates 2"][data-holds="true"]');
  await expect(majority).toHaveCount(1);
  await expect(majority).toHaveAttribute('data-result', 'become leader');
  // The first line is current; the majority line is ahead: its values are not shown yet.
  expect(await currentLine(page)).toBe(0);
  await expect(lines.first()).toHaveAttribute('data-state', 'current');
  await expect(page.getByTestId('pseudocode-prev')).toBeDisabled();
  const index = await lines.evaluateAll((els) => els.findIndex((e) => e.getAttribute('data-rule') === 'Candidates 2' && e.getAttribute('data-holds') === 'true'));
  if (index > 0) await expect(majority).not.toContainText('majority 2');
  for (let i = 0; i < index; i++) {
    await page.getByTestId('pseudocode-next').click();
    expect(await currentLine(page)).toBe(i + 1);
  }
  await expect(majority).toHaveAttribute('data-state', 'current');
  await expect(majority).toContainText(/granted [23] >= majority 2/);
  await expect(majority).toContainText('become leader');
  // And back one line.
  if (index > 0) {
    await page.getByTestId('pseudocode-prev').click();
    expect(await currentLine(page)).toBe(index - 1);
    await expect(majority).toHaveAttribute('data-state', 'ahead');
  }
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
