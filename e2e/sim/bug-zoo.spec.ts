/**
 * The bug zoo through the page (issue 15): for every unsafe option, switching it on starts a run
 * with the bug, and its demonstration turns the safety panel red naming the rule (with the checker
 * that caught it: the invariants, the history's linearizability, or progress); switched off, the
 * same script keeps the rule and everything stays green. Driven at 100x: each run is a few
 * simulated seconds.
 */
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { openPlayground } from './ui';

/** The options of the zoo (the first test checks that the page lists exactly these). */
const options = [
  'commitOldTermByCount', 'skipVoteLogCheck', 'readWithoutQuorumCheck', 'truncateMatchingEntries', 'commitPastLastNewEntry',
  'acceptStaleTermAppends', 'matchFromNextIndex', 'snapshotDiscardsLog', 'voteBeforePersist', 'ackAppendBeforePersist',
  'readBeforeApplied', 'keepElectionTimerOnVote', 'configChangeBeforeOwnTermCommit',
];

async function runDemonstration(page: Page, name: string, bug: 'on' | 'off'): Promise<void> {
  const result = page.getByTestId(`bug-result-${name}`);
  await page.getByTestId(`bug-run-${name}`).click();
  // At 100x a run may be over before a poll sees it running: wait for this variant's verdict.
  await expect(result).toHaveAttribute('data-bug', bug);
  await expect(result).toHaveAttribute('data-status', /^(pass|fail)$/, { timeout: 60_000 });
  await expect(result, (await page.getByTestId('scenario-run').textContent()) ?? '').toHaveAttribute('data-status', 'pass');
}

test('the page lists exactly the zoo this spec covers', async ({ page }) => {
  await openPlayground(page, { seed: 7, speed: 100 });
  const listed = await page.locator('input[data-testid^="bug-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.slice('bug-'.length)));
  expect(listed.sort()).toEqual([...options].sort());
});

for (const name of options) {
  test(`${name}: on, its demonstration breaks the rule and the safety panel names it; off, the same script stays green`, async ({ page }) => {
    await openPlayground(page, { seed: 7, speed: 100 });
    const box = page.getByTestId(`bug-${name}`);
    const rule = ((await box.locator('xpath=..').getAttribute('title')) ?? '').replace(/^Breaks: /, '');
    expect(rule.length).toBeGreaterThan(20);

    await box.check();
    await expect(box).toBeChecked();
    // The page offers its demonstration.
    await expect(page.getByTestId('notice')).toContainText(`${name} is on`);
    await expect(page.getByTestId(`bug-run-${name}`)).toHaveText('show it');
    // A fresh run with the bug: the address bar says so (the commit rule's option is the commit rule off).
    if (name === 'commitOldTermByCount') {
      await expect.poll(() => new URL(page.url()).searchParams.get('off')).toBe('commitRule');
      await expect(page.getByTestId('protocol-commit-rule')).not.toBeChecked();
    } else {
      await expect.poll(() => new URL(page.url()).searchParams.get('bugs')).toBe(name);
    }
    await runDemonstration(page, name, 'on');
    const verdict = page.getByTestId('safety-zoo-rule');
    await expect(verdict).toHaveAttribute('data-status', 'violated');
    await expect(verdict).toHaveAttribute('data-bug', name);
    await expect(verdict).toContainText(rule);
    await expect(page.getByTestId('event-feed')).toContainText(rule);
    const caughtAs = ((await verdict.getAttribute('data-caught-as')) ?? '').split(',');
    expect(caughtAs.length).toBeGreaterThan(0);
    if (caughtAs.includes('safety')) await expect(page.getByTestId('invariants')).toHaveAttribute('data-status', 'violated');
    if (caughtAs.includes('linearizability')) await expect(page.getByTestId('linearizability')).toHaveAttribute('data-verdict', 'not_linearizable');
    if (caughtAs.includes('progress')) expect(caughtAs).toEqual(['progress']);

    await box.uncheck();
    await expect(box).not.toBeChecked();
    await runDemonstration(page, name, 'off');
    await expect(verdict).toHaveAttribute('data-status', 'ok');
    await expect(verdict).toContainText(rule);
    await expect(page.getByTestId('invariants')).toHaveAttribute('data-status', 'ok');
    await expect(page.getByTestId('linearizability')).not.toHaveAttribute('data-verdict', 'not_linearizable');
  });
}
