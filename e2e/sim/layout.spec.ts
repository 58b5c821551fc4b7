/**
 * Keyboard, phone, motion, logs (issue 11): "?" lists every key; at 375 px nothing scrolls
 * sideways and tap targets are at least 40 px; prefers-reduced-motion makes messages jump; the
 * log view scrolls over every index, draws the snapshot prefix, and its index labels never overlap.
 */
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { openPlayground, stableLeader } from './ui';

test('"?" opens the keyboard overlay, which lists the keys; Escape closes it', async ({ page }) => {
  await openPlayground(page, { seed: 1 });
  await page.getByTestId('play-pause').click();
  await page.keyboard.press('?');
  const help = page.getByTestId('keyboard-help');
  await expect(help).toBeVisible();
  for (const key of ['Space', '←', '→ or S', 'E', 'K', '?']) await expect(help.locator('kbd', { hasText: key }).first()).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(help).toHaveCount(0);
  await page.getByTestId('help').click();
  await expect(help).toBeVisible();
});

test('keys act on the selected node: 2 selects n2, K kills it, R restarts it', async ({ page }) => {
  await openPlayground(page, { seed: 2, speed: 5 });
  await stableLeader(page);
  await page.keyboard.press('2');
  await expect(page.getByTestId('details-n2')).toBeVisible();
  await page.keyboard.press('k');
  await expect(page.getByTestId('node-n2')).toHaveAttribute('data-role', 'down');
  await page.keyboard.press('r');
  await expect(page.getByTestId('node-n2')).not.toHaveAttribute('data-role', 'down');
});

test.describe('on a phone (375 px)', () => {
  test.use({ viewport: { width: 375, height: 740 }, hasTouch: true, isMobile: true });

  test('nothing scrolls sideways and every tap target is at least 40 px', async ({ page }) => {
    await openPlayground(page, { seed: 4, nodes: 5, speed: 5 });
    await stableLeader(page, ['n1', 'n2', 'n3', 'n4', 'n5']);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    const small = await page.evaluate(() => {
      const targets = document.querySelectorAll<HTMLElement>('button, select, input, summary, .file-button, g[role="button"].ring-node, [data-testid^="message-"]');
      const out: string[] = [];
      for (const el of Array.from(targets)) {
        const r = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        if (r.width === 0 || style.visibility === 'hidden' || el.closest('[hidden]') || style.opacity === '0') continue;
        // A checkbox is tapped through its label, which is the target.
        const target = el instanceof HTMLInputElement && el.type === 'checkbox' && el.closest('label') ? el.closest('label')!.getBoundingClientRect() : r;
        // Rounded as printed: a message's box moves by fractional translations (cqw), and its
        // measured 40 px can come out as 39.99 from the subtraction of its edges.
        if (Math.round(target.height) < 40 || Math.round(target.width) < 40) out.push(`${el.dataset.testid ?? el.tagName} ${Math.round(target.width)}x${Math.round(target.height)}`);
      }
      return out;
    });
    expect(small).toEqual([]);
    // The ring and the time controls still fit.
    const ring = await page.locator('svg.ring').boundingBox();
    expect(ring!.x + ring!.width).toBeLessThanOrEqual(375);
  });
});

/**
 * Watches the first message in the page, frame by frame: counts the frames in which the page's
 * clock (the snapshot) did not change and the message stayed put, or moved anyway (gliding). Only
 * such frames say anything, and on a busy machine most frames bring a new snapshot: it samples
 * until 30 of them were seen (or 1,200 frames passed), not for a fixed number of frames.
 */
function sampleMotion(page: Page): Promise<{ still: number; moved: number }> {
  return page.evaluate(() => new Promise((resolve) => {
    let still = 0;
    let moved = 0;
    let last: { transform: string; clock: string | null; id: string | undefined } | null = null;
    let frames = 0;
    const tick = () => {
      const m = document.querySelector<HTMLElement>('[data-testid^="message-"][data-type]');
      const now = m ? { transform: m.style.transform, clock: document.querySelector('[data-testid="clock"]')!.getAttribute('data-time'), id: m.dataset.testid } : null;
      if (last && now && last.id === now.id && last.clock === now.clock) {
        if (last.transform === now.transform) still++;
        else moved++;
      }
      last = now;
      if (++frames < 1200 && still + moved < 30) requestAnimationFrame(tick);
      else resolve({ still, moved });
    };
    requestAnimationFrame(tick);
  }));
}

for (const reduced of [true, false]) {
  test(`prefers-reduced-motion ${reduced ? 'on: messages jump from snapshot to snapshot' : 'off: messages glide between snapshots'}`, async ({ page }) => {
    if (reduced) await page.emulateMedia({ reducedMotion: 'reduce' });
    await openPlayground(page, { seed: 8, speed: 2 });
    await expect(page.getByTestId('wire')).toHaveAttribute('data-motion', reduced ? 'reduced' : 'glide');
    await stableLeader(page);
    await page.getByTestId('speed').fill('-1.3');
    await expect(page.locator('[data-testid^="message-"][data-type]').first()).toBeVisible({ timeout: 30_000 });
    const motion = await sampleMotion(page);
    if (reduced) {
      expect(motion.moved).toBe(0);
      expect(motion.still).toBeGreaterThan(0);
    } else {
      expect(motion.moved).toBeGreaterThan(0);
    }
  });
}

test('the logs scroll over every index, draw the snapshot prefix, and their index labels do not overlap', async ({ page }) => {
  await openPlayground(page, { seed: 5, nodes: 3, speed: 50, extra: 'load=50' });
  await expect.poll(async () => Number(await page.getByTestId('log-grid').getAttribute('data-last')), { timeout: 60_000 }).toBeGreaterThan(1200);
  await page.getByTestId('play-pause').click();
  // Read the log's end once the engine has stopped (the button flips with the snapshot that says so).
  await expect(page.getByTestId('play-pause')).toHaveAccessibleName('Play');
  const grid = page.getByTestId('log-grid');
  const last = Number(await grid.getAttribute('data-last'));
  // The view follows the end; the snapshot block covers the compacted prefix.
  await expect(grid).toHaveAttribute('data-hi', String(last));
  await expect(page.getByTestId('snapshot-n1')).toContainText('snapshot ≤');
  // Scroll to the very beginning: index 1's column is drawn (inside the snapshot block) and the window follows.
  await page.getByTestId('logs-viewport').evaluate((el) => { el.scrollLeft = 0; });
  await expect(grid).toHaveAttribute('data-lo', '1');
  await page.getByTestId('logs-viewport').evaluate((el) => { el.scrollLeft = el.scrollWidth / 2; });
  await expect.poll(async () => Number(await grid.getAttribute('data-lo'))).toBeGreaterThan(400);
  // Back to the end: it follows the newest entries again, and the four-digit labels do not overlap.
  await page.getByTestId('logs-viewport').evaluate((el) => { el.scrollLeft = el.scrollWidth; });
  await expect(grid).toHaveAttribute('data-hi', String(last));
  const labels = await page.locator('.index-label').evaluateAll((els) => els.map((e) => {
    const r = e.getBoundingClientRect();
    return { left: r.left, right: r.right, text: e.textContent ?? '' };
  }));
  expect(labels.filter((l) => l.text.length >= 4).length).toBeGreaterThan(3);
  const sorted = [...labels].sort((a, b) => a.left - b.left);
  for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.left, `${sorted[i - 1]!.text} and ${sorted[i]!.text}`).toBeGreaterThanOrEqual(sorted[i - 1]!.right);
});
