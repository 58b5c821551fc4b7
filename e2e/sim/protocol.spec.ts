/**
 * Protocol rules at run time (issue 11): each rule's scenario passes with the rule and fails
 * without it, through the page's own buttons; a rule switched off shows in its checkbox and in
 * the address bar, and starts a fresh run.
 */
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { openPlayground } from './ui';

const rules = ['pre-vote', 'check-quorum', 'leader-noop', 'fast-backtracking', 'read-index', 'commit-rule'];

async function runVariant(page: Page, rule: string, variant: 'with' | 'without'): Promise<string> {
  const result = page.getByTestId(`protocol-result-${rule}`);
  const rule_ = variant === 'with' ? 'on' : 'off';
  await page.getByTestId(`protocol-${variant}-${rule}`).click();
  // At 100x a run may be over before a poll sees it running: wait for this variant's verdict.
  await expect(result).toHaveAttribute('data-rule', rule_);
  await expect(result).toHaveAttribute('data-status', /^(pass|fail)$/, { timeout: 80_000 });
  await expect(page.getByTestId(`protocol-${rule}`)).toBeChecked({ checked: variant === 'with' });
  return (await result.getAttribute('data-status'))!;
}

for (const rule of rules) {
  test(`${rule}: its scenario passes with the rule and fails without it`, async ({ page }) => {
    await openPlayground(page, { seed: 7, speed: 100 });
    expect(await runVariant(page, rule, 'with')).toBe('pass');
    expect(await runVariant(page, rule, 'without')).toBe('fail');
  });
}

test('switching a rule off starts a fresh run under it, and the link says so', async ({ page }) => {
  await openPlayground(page, { seed: 3, speed: 10 });
  await expect(page.getByTestId('protocol-pre-vote')).toBeChecked();
  await page.getByTestId('protocol-pre-vote').uncheck();
  await expect(page.getByTestId('protocol-pre-vote')).not.toBeChecked();
  await expect.poll(() => new URL(page.url()).searchParams.get('off')).toBe('preVote');
  // Without PreVote a timeout starts a real election at once: no pre-candidate ever shows.
  await page.getByTestId('campaign-n1').click();
  await expect(page.getByTestId('event-feed')).toContainText('becomes candidate');
  await expect(page.getByTestId('event-feed')).not.toContainText('pre-vote');
});
