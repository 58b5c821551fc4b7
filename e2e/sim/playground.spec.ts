/**
 * The playground as a learner uses it: the first minute, reproducible links, time travel, cutting
 * links, inspecting and dropping messages, the narrated feed, and the stable test hooks.
 */
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { client, kill, nodeState, nodeStates, openPlayground, others, putOk, simNow, stableLeader, waitSim } from './ui';

const leaderNow = async (page: Page) => (await nodeStates(page)).find((s) => s.role === 'leader')?.id ?? null;

test('a new user sees an election, a re-election, and an isolated node fall behind and catch up', async ({ page }) => {
  // The page as it opens, at its default speed: a leader within a minute.
  await page.goto('/?seed=4');
  await expect(page.getByTestId('speed-label')).toHaveText('0.1x');
  await expect(page.locator('g[data-role="leader"]')).toHaveCount(1, { timeout: 60_000 });
  await expect(page.getByTestId('event-feed')).toContainText('is leader of term');

  // Speed up with the slider (10^1 = 10x) to save the test's time.
  await page.getByTestId('speed').fill('1');
  await expect(page.getByTestId('speed-label')).toHaveText('10x');
  const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const first = await stableLeader(page, ids);
  await kill(page, first);
  const second = await stableLeader(page, others(ids, first), 20_000);
  expect(second).not.toBe(first);

  const lagging = others(ids, first, second)[0]!;
  await page.getByTestId(`isolate-${lagging}`).click();
  await expect(page.getByTestId(`link-${[lagging, second].sort().join('-')}`)).toHaveAttribute('data-state', 'cut');
  for (const i of [1, 2, 3]) await putOk(page, 'leader', `iso${i}`, String(i));
  const behind = await nodeState(page, lagging);
  const ahead = await nodeState(page, second);
  expect(behind.logLength).toBeLessThan(ahead.logLength);
  await page.getByTestId('heal-all').click();
  await expect.poll(async () => {
    const [l, f] = [await nodeState(page, second), await nodeState(page, lagging)];
    return f.logLength === l.logLength && f.commitIndex === l.commitIndex;
  }, { timeout: 30_000 }).toBe(true);
  await expect(page.getByTestId(`kv-${lagging}`).locator('[data-key="iso3"]')).toHaveText('iso3=3');
});

test('the same seed and node count reproduce the same run', async ({ page, context }) => {
  const firstLeader = async (p: Page) => {
    await openPlayground(p, { seed: 42, nodes: 5, speed: 10 });
    await expect(p.locator('g[data-role="leader"]')).toHaveCount(1);
    const id = await leaderNow(p);
    return { id, term: (await nodeState(p, id!)).term };
  };
  const a = await firstLeader(page);
  const other = await context.newPage();
  const b = await firstLeader(other);
  expect(b).toEqual(a);
  // The header shows the run, and the address bar reproduces it.
  await expect(page.getByTestId('seed')).toHaveValue('42');
  expect(new URL(page.url()).searchParams.get('seed')).toBe('42');
  expect(new URL(page.url()).searchParams.get('nodes')).toBe('5');
  await page.getByTestId('copy-link').click();
  await expect(page.getByTestId('notice')).toBeVisible();
});

test('node count and seed from the header, then reset', async ({ page }) => {
  await openPlayground(page, { seed: 1, nodes: 3, speed: 10 });
  await expect(page.locator('g[data-role]')).toHaveCount(3);
  await page.getByTestId('cluster-size').selectOption('7');
  await page.getByTestId('seed').fill('99');
  await page.getByTestId('reset').click();
  await expect(page.locator('g[data-role]')).toHaveCount(7);
  await expect.poll(() => new URL(page.url()).searchParams.get('nodes')).toBe('7');
  expect(new URL(page.url()).searchParams.get('seed')).toBe('99');
});

test('time travel: scrub back, replay the recorded future, and fork it by acting in the past', async ({ page }) => {
  await openPlayground(page, { seed: 5, speed: 10 });
  const leader = await stableLeader(page);
  await kill(page, leader);
  await stableLeader(page, others(['n1', 'n2', 'n3'], leader), 20_000);
  await page.getByTestId('play-pause').click();
  await expect(page.getByTestId('play-pause')).toHaveAccessibleName('Play');
  const horizon = await simNow(page);

  // Back to 0.3 s: before the crash every node is up again.
  await page.getByTestId('time-scrubber').fill('300');
  await expect(page.getByTestId('in-past')).toBeVisible();
  await expect(page.getByTestId(`node-${leader}`)).not.toHaveAttribute('data-role', 'down');
  expect(await simNow(page)).toBe(300);

  // Scrubbing forward to the end replays the crash exactly where it happened.
  await page.getByTestId('time-scrubber').fill(String(horizon));
  await expect(page.getByTestId(`node-${leader}`)).toHaveAttribute('data-role', 'down');
  await expect(page.getByTestId('in-past')).toHaveCount(0);

  // Acting in the past forks a new future in which the crash never happens.
  await page.getByTestId('time-scrubber').fill('300');
  await page.getByTestId(`isolate-${leader}`).click();
  await expect(page.getByTestId('in-past')).toHaveCount(0);
  await page.getByTestId('play-pause').click();
  await waitSim(page, 3000);
  await expect(page.getByTestId(`node-${leader}`)).not.toHaveAttribute('data-role', 'down');
});

test('cut a link one way by clicking it, then heal it', async ({ page }) => {
  await openPlayground(page, { seed: 6, speed: 5 });
  await stableLeader(page);
  const link = page.getByTestId('link-n1-n2');
  await expect(link).toHaveAttribute('data-state', 'up');
  await link.click();
  await page.getByTestId('link-cut-forward').click();
  await expect(link).toHaveAttribute('data-state', 'forward-cut');
  await link.click();
  await page.getByTestId('link-cut-backward').click();
  await expect(link).toHaveAttribute('data-state', 'cut');
  await link.click();
  await page.getByTestId('link-heal').click();
  await expect(link).toHaveAttribute('data-state', 'up');
});

test('inspect a message in flight and drop it', async ({ page }) => {
  await openPlayground(page, { seed: 8, speed: 5 });
  await stableLeader(page);
  await page.getByTestId('play-pause').click();
  // Count only once the page shows the paused engine (the button flips with that snapshot): a frame
  // from before the pause can show a message the paused state no longer has (CI waited 90 s on one).
  await expect(page.getByTestId('play-pause')).toHaveAccessibleName('Play');
  // Step until a message is on the wire (a heartbeat comes every 100 ms). Each step is waited for
  // on screen (the clock's step count) before counting, or a late frame could show the one before.
  const messages = page.locator('[data-testid^="message-"]');
  const clock = page.getByTestId('clock');
  for (let i = 0; i < 50 && (await messages.count()) === 0; i++) {
    const steps = await clock.getAttribute('data-steps');
    await page.getByTestId('step').click();
    await expect(clock).not.toHaveAttribute('data-steps', steps!);
  }
  const message = messages.first();
  const type = await message.getAttribute('data-type');
  await message.click();
  const inspector = page.getByTestId('message-inspector');
  await expect(inspector).toContainText(type!);
  await expect(inspector).toContainText('term');
  // The story names the sender: the title says "<type> <from>→<to>, ...".
  const from = /\S+ (n\d)→/.exec((await message.getAttribute('title')) ?? '')![1]!;
  await expect(page.getByTestId('inspector-why')).toContainText(from);
  await page.getByTestId('drop-message').click();
  await expect(inspector).toHaveAttribute('data-fate', 'dropped by you');
  await expect(page.getByTestId('inspector-fate')).toContainText('dropped by you');
  await expect(page.getByTestId('event-feed')).toContainText('you dropped it');
});

test('the event feed says why a vote was refused', async ({ page }) => {
  await openPlayground(page, { seed: 9, speed: 5 });
  const leader = await stableLeader(page);
  const follower = others(['n1', 'n2', 'n3'], leader)[0]!;
  // A follower whose timer fires while the leader is healthy is refused: the others heard the leader.
  await page.getByTestId(`campaign-${follower}`).click();
  await expect(page.getByTestId('event-feed')).toContainText(`rejected ${follower}'s pre-vote`);
  await expect(page.getByTestId('event-feed')).toContainText('CheckQuorum lease');
  expect(await leaderNow(page)).toBe(leader);
});

test('client panel shows the API answers: 409 with a hint, 200, 404, stale read', async ({ page }) => {
  await openPlayground(page, { seed: 10, speed: 5 });
  const leader = await stableLeader(page);
  const follower = others(['n1', 'n2', 'n3'], leader)[0]!;
  const refused = await client(page, 'put', follower, 'k', 'v');
  expect(refused).toMatchObject({ status: 409, body: { error: 'not_leader', leaderId: leader } });
  await expect(page.getByTestId('client-result')).toContainText(`retry at ${leader}`);
  expect((await client(page, 'put', 'leader', 'k', 'v')).status).toBe(200);
  expect((await client(page, 'get', follower, 'k')).body).toMatchObject({ ok: true, value: 'v' });
  expect((await client(page, 'delete', 'leader', 'k')).status).toBe(200);
  expect((await client(page, 'get', 'leader', 'k')).status).toBe(404);
  await page.getByTestId('client-stale').check();
  await putOk(page, 'leader', 's', '1');
  await expect.poll(async () => (await client(page, 'get', follower, 's')).body).toMatchObject({ value: '1', stale: true });
  await expect(page.getByTestId('linearizability')).toHaveAttribute('data-verdict', 'linearizable');
});

test('hooks: mode toggle, buttons with accessible names, ?mode=live', async ({ page }) => {
  await openPlayground(page, { seed: 1 });
  for (const id of ['play-pause', 'step', 'heal-all', 'kill-n1', 'restart-n1', 'isolate-n1', 'client-put', 'client-get', 'client-delete', 'scenario-A1', 'mode-sim', 'mode-live']) {
    const name = await page.getByTestId(id).evaluate((el) => el.getAttribute('aria-label') ?? el.textContent ?? '');
    expect(name.trim(), id).not.toBe('');
  }
  await expect(page.getByTestId('speed')).toHaveAccessibleName(/Speed/);
  await expect(page.getByTestId('mode-sim')).toHaveAttribute('aria-pressed', 'true');
  const before = Number(await page.getByTestId('clock').getAttribute('data-now'));
  await page.getByTestId('mode-live').click();
  // `vite preview` is no supervisor: live mode says so, and how to get one.
  await expect(page.getByTestId('live-mode')).toHaveAttribute('data-state', 'unavailable');
  await expect(page.getByTestId('live-mode')).toContainText('npm start');
  await expect(page).toHaveURL(/mode=live/);
  await page.getByTestId('mode-sim').click();
  await expect(page.getByTestId('node-n1')).toBeVisible();
  await expect(page).not.toHaveURL(/mode=live/);
  // The simulator's run was kept (paused while away, playing again now).
  expect(Number(await page.getByTestId('clock').getAttribute('data-now'))).toBeGreaterThanOrEqual(before);
  await expect(page.getByTestId('play-pause')).toHaveAccessibleName('Pause');
  await page.goto('/?mode=live');
  await expect(page.getByTestId('mode-live')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('live-mode')).toBeVisible();
});
