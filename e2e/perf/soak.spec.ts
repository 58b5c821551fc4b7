/**
 * Acceptance (issue 11): 7 nodes with steady client load, for 10 simulated minutes at 1x (ten real
 * minutes), without the page causing a frame gap over 100 ms. The log grows to thousands of
 * entries, the client history to thousands of operations, the timeline thins its checkpoints.
 *
 * Every animation frame's time is recorded in the page for the whole run. Three 20-second windows
 * (early, middle, late) are also traced, for each main-thread task's CPU time: a frame gap the page
 * causes is a task (or tasks) that keep the main thread busy, and CPU time says whether it was the
 * page's own work or time spent waiting for a core on a busy machine. Long animation frames (over
 * 50 ms) are recorded for the whole run, with the scripts in them. The test fails when a traced
 * task takes over 50 ms of CPU, or when a frame gap over 100 ms falls in the run (the issue's
 * bound); it reports each gap placed (while the page loaded, next to a tracing start or stop of
 * the test's own, or in the run) with the long frames it overlapped. Run with `npm run -w e2e soak`
 * (not part of `npm test`: it takes ten minutes).
 */
import { expect, test } from '@playwright/test';
import type { Browser, Page } from '@playwright/test';
import { mainThreadStats } from '../scripts/main-thread';
import { openPlayground } from '../sim/ui';

const simulatedMs = 10 * 60_000;
const windowMs = 20_000;

test.setTimeout(16 * 60_000);

/** The page's clock (performance.now), to place frame gaps against what the test itself did. */
const pageNow = (page: Page) => page.evaluate(() => performance.now());

/** The moments the test started and stopped the browser's tracing (page clock, ms). */
const tracingEdges: number[] = [];

async function traced(browser: Browser, page: Page) {
  tracingEdges.push(await pageNow(page));
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  await page.waitForTimeout(windowMs); // measuring a stretch of time, not waiting for a condition
  const stats = mainThreadStats((await browser.stopTracing()).toString());
  tracingEdges.push(await pageNow(page));
  return { longestTaskCpuMs: Number(stats.longestTaskCpuMs.toFixed(1)), tasksOver50MsCpu: stats.tasksOver50MsCpu, busyShareCpu: Number(stats.busyShareCpu.toFixed(2)) };
}

/** A long-animation-frame entry (Chromium's Long Animation Frames API), the fields the report keeps. */
interface LongFrameEntry {
  startTime: number; duration: number; blockingDuration: number; renderStart: number; styleAndLayoutStart: number;
  scripts: { invoker: string; sourceFunctionName: string; duration: number; forcedStyleAndLayoutDuration: number }[];
}
interface LongFrame {
  startTime: number; duration: number; blockingDuration: number; renderStart: number; styleAndLayoutStart: number;
  scripts: { invoker: string; fn: string; duration: number; forcedLayout: number }[];
}

const simNow = async (page: Page) => Number(await page.getByTestId('clock').getAttribute('data-now'));

test('7 nodes, 20 client ops/s, 10 simulated minutes at 1x: no page-caused frame gap', async ({ page, browser }, info) => {
  await page.addInitScript(() => {
    const w = window as unknown as { __frames: number[] };
    w.__frames = [];
    const tick = (t: number) => {
      w.__frames.push(t);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    // Long animation frames (over 50 ms), with the scripts that ran in them: what a gap was made of.
    const loaf = window as unknown as { __loaf: LongFrame[] };
    loaf.__loaf = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as unknown as LongFrameEntry[]) {
        loaf.__loaf.push({
          startTime: e.startTime, duration: e.duration, blockingDuration: e.blockingDuration,
          renderStart: e.renderStart, styleAndLayoutStart: e.styleAndLayoutStart,
          scripts: e.scripts.map((x) => ({ invoker: x.invoker, fn: x.sourceFunctionName, duration: Math.round(x.duration), forcedLayout: Math.round(x.forcedStyleAndLayoutDuration) })),
        });
      }
    }).observe({ type: 'long-animation-frame', buffered: true });
  });
  await openPlayground(page, { seed: 1, nodes: 7, speed: 1, extra: 'load=20' });
  const runStartedAt = await pageNow(page);
  const windows: Record<string, Awaited<ReturnType<typeof traced>>> = {};
  const at = async (share: number) => {
    await page.waitForFunction((t) => Number(document.querySelector('[data-testid="clock"]')?.getAttribute('data-now')) >= t, share * simulatedMs, { timeout: 12 * 60_000, polling: 1000 });
  };
  await at(0.1);
  windows.early = await traced(browser, page);
  await at(0.5);
  windows.middle = await traced(browser, page);
  await at(0.95);
  windows.late = await traced(browser, page);
  await at(1);
  const frames = await page.evaluate(() => (window as unknown as { __frames: number[] }).__frames);
  const longFrames = await page.evaluate(() => (window as unknown as { __loaf: LongFrame[] }).__loaf);
  const gaps = frames.slice(1).map((t, i) => t - frames[i]!);
  const over100 = gaps.filter((g) => g > 100);
  // Where each long gap fell: while the page loaded, next to a tracing start or stop of the test's
  // own (the browser's tracing can hold the page for a moment), or in the run itself.
  const placed = gaps.flatMap((g, i) => {
    if (g <= 100) return [];
    const endedAt = frames[i + 1]!;
    const where = endedAt <= runStartedAt ? 'page load'
      : tracingEdges.some((edge) => endedAt >= edge - 50 && endedAt - g <= edge + 500) ? 'tracing start/stop' : 'run';
    const startedAt = endedAt - g;
    // The long animation frames that overlap the gap; none means the page ran no long frame then.
    const overlapping = longFrames.filter((f) => f.startTime < endedAt && f.startTime + f.duration > startedAt).map((f) => ({
      atMs: Math.round(f.startTime - runStartedAt), durationMs: Math.round(f.duration), blockingMs: Math.round(f.blockingDuration),
      renderMs: f.renderStart > 0 ? Math.round(f.startTime + f.duration - f.renderStart) : 0,
      styleAndLayoutMs: f.styleAndLayoutStart > 0 ? Math.round(f.startTime + f.duration - f.styleAndLayoutStart) : 0,
      scripts: f.scripts,
    }));
    return [{ gapMs: Number(g.toFixed(1)), atMs: Math.round(endedAt - runStartedAt), where, longFrames: overlapping }];
  });
  const commitIndex = Number(await page.locator('g[data-role="leader"]').first().getAttribute('data-commit-index'));
  const ops = Number((await page.getByTestId('linearizability').textContent())?.match(/\((\d+) ops\)/)?.[1] ?? 0);
  const report = {
    simulatedMs: await simNow(page),
    frames: frames.length,
    longestFrameGapWallMs: Math.round(Math.max(...gaps)),
    frameGapsOver100MsWall: over100.length,
    frameGapsOver100MsInTheRun: placed.filter((p) => p.where === 'run').length,
    longGaps: placed.slice(0, 10),
    windows,
    leaderCommitIndex: commitIndex,
    clientOps: ops,
  };
  console.log(`soak at 7 nodes, 20 client ops/s, 1x, 10 simulated minutes: ${JSON.stringify(report)}`);
  info.annotations.push({ type: 'soak', description: JSON.stringify(report) });
  expect(report.simulatedMs).toBeGreaterThanOrEqual(simulatedMs);
  expect(ops, 'the client load ran all along').toBeGreaterThan(5_000);
  for (const [name, w] of Object.entries(windows)) expect(w.longestTaskCpuMs, `${name}: longest main-thread task, CPU ms`).toBeLessThan(50);
  expect(placed.filter((p) => p.where === 'run'), 'frame gaps over 100 ms in the run').toEqual([]);
  await expect(page.getByTestId('invariants')).toHaveAttribute('data-status', 'ok');
});
