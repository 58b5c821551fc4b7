/**
 * The simulator's teaching tools (issue 11): the message inspector's story, fate, delay and
 * duplicate; partitions by sides with the minority marked; split votes on demand; the safety
 * panel's jump to a violation; clients that follow the 409 hint; challenges that turn green only
 * when achieved; scenario files exported, imported and run by vitest with the same verdict.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { client, kill, openPlayground, others, stableLeader } from './ui';

const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
const repo = fileURLToPath(new URL('../../', import.meta.url));

async function pause(page: Page): Promise<void> {
  if ((await page.getByTestId('play-pause').getAttribute('aria-label')) === 'Pause') await page.getByTestId('play-pause').click();
  await expect(page.getByTestId('play-pause')).toHaveAccessibleName('Play');
}

async function firstMessage(page: Page, type: string) {
  const message = page.locator(`[data-testid^="message-"][data-type="${type}"]`).first();
  const clock = page.getByTestId('clock');
  for (let i = 0; i < 200 && (await message.count()) === 0; i++) {
    const steps = await clock.getAttribute('data-steps');
    await page.getByTestId('step').click();
    await expect(clock).not.toHaveAttribute('data-steps', steps!);
  }
  return message;
}

test('the inspector tells why a message was sent and its fate; delay and duplicate it; marks on the scrubber', async ({ page }) => {
  await openPlayground(page, { seed: 8, speed: 5 });
  await stableLeader(page);
  await pause(page);
  const heartbeat = await firstMessage(page, 'AppendEntries');
  await heartbeat.click();
  await expect(page.getByTestId('inspector-why')).toContainText('leader of term');
  await expect(page.getByTestId('message-inspector')).toHaveAttribute('data-fate', 'in flight');
  await page.getByTestId('delay-message').click();
  await expect(page.getByTestId('inspector-fate')).toContainText('you delayed it 200 ms');
  await page.getByTestId('duplicate-message').click();
  await expect(page.getByTestId('inspector-fate')).toContainText('you duplicated it');
  await expect(page.getByTestId('scrubber-marks')).toHaveAttribute('data-count', '2');
  await page.getByTestId('play-pause').click();
  await expect(page.getByTestId('message-inspector')).toHaveAttribute('data-fate', 'delivered');
  await expect(page.getByTestId('inspector-verdict')).toContainText(/accepted|refused/);
});

test('a rejected vote says why, with the values compared, once its answer arrives', async ({ page }) => {
  await openPlayground(page, { seed: 9, speed: 5 });
  const leader = await stableLeader(page);
  const follower = others(['n1', 'n2', 'n3'], leader)[0]!;
  await pause(page);
  await page.getByTestId(`campaign-${follower}`).click();
  const answer = page.locator('[data-testid^="message-"][data-type="RequestVoteResponse"]').first();
  const clock = page.getByTestId('clock');
  for (let i = 0; i < 200 && (await answer.count()) === 0; i++) {
    const steps = await clock.getAttribute('data-steps');
    await page.getByTestId('step').click();
    await expect(clock).not.toHaveAttribute('data-steps', steps!);
  }
  // The vote dot turns red only once the refusal has arrived: it is still on the wire.
  await expect(page.locator(`g[data-testid="node-${follower}"] .vote-rejected`)).toHaveCount(0);
  await answer.click();
  await expect(page.getByTestId('inspector-verdict')).toContainText('CheckQuorum lease');
});

test('a partition drawn by sides in one step; the minority is marked; healing clears it', async ({ page }) => {
  await openPlayground(page, { seed: 4, nodes: 5, speed: 5 });
  const leader = await stableLeader(page, five);
  const buddy = others(five, leader)[0]!;
  await page.getByTestId(`side-${leader}`).click();
  await page.getByTestId(`side-${buddy}`).click();
  await expect(page.getByTestId('partition')).toHaveText('Partition 3 | 2');
  await page.getByTestId('partition').click();
  await expect(page.getByTestId(`node-${leader}`)).toHaveAttribute('data-minority', 'true');
  await expect(page.getByTestId(`node-${buddy}`)).toHaveAttribute('data-minority', 'true');
  for (const id of others(five, leader, buddy)) await expect(page.getByTestId(`node-${id}`)).toHaveAttribute('data-minority', 'false');
  await expect(page.getByTestId('minority')).toContainText(leader);
  await expect(page.getByTestId(`link-${[leader, buddy].sort().join('-')}`)).toHaveAttribute('data-state', 'up');
  const fresh = await stableLeader(page, others(five, leader, buddy));
  expect([leader, buddy]).not.toContain(fresh);
  await page.getByTestId('heal-all').click();
  await expect(page.locator('g[data-minority="true"]')).toHaveCount(0);
});

test('split votes on demand: align the timers after killing the leader; spread them', async ({ page }) => {
  await openPlayground(page, { seed: 4, nodes: 4, speed: 5, extra: 'off=preVote' });
  const leader = await stableLeader(page, ['n1', 'n2', 'n3', 'n4']);
  await pause(page);
  await kill(page, leader);
  await page.getByTestId('timers-align').click();
  await expect(page.locator('g[data-role="candidate"]')).toHaveCount(3);
  await expect(page.getByTestId('event-feed')).toContainText('Timers aligned');
  await page.getByTestId('play-pause').click();
  await expect(page.getByTestId('challenge-split-vote')).toHaveAttribute('data-status', 'achieved', { timeout: 30_000 });
  await page.getByTestId('timers-spread').click();
  await expect(page.getByTestId('event-feed')).toContainText('Timers spread');
});

test('the safety panel lists each property; clicking a violation goes to the step that caused it', async ({ page }) => {
  await openPlayground(page, { seed: 7, speed: 100 });
  for (const p of ['election-safety', 'log-matching', 'leader-completeness', 'state-machine-safety', 'commit-regressed', 'apply-order']) {
    await expect(page.getByTestId(`safety-${p}`)).toHaveAttribute('data-status', 'ok');
  }
  await page.getByTestId('scenario-figure8-unsafe').click();
  await expect(page.getByTestId('scenario-result-figure8-unsafe')).toHaveAttribute('data-status', 'pass', { timeout: 80_000 });
  const violated = page.getByTestId('safety-state-machine-safety');
  await expect(violated).toHaveAttribute('data-status', 'violated');
  await expect(page.getByTestId('safety-election-safety')).toHaveAttribute('data-status', 'ok');
  // The first violation of this property (the checker may have caught others at the same step).
  const link = violated.locator('[data-testid^="violation-"]').first();
  const id = (await link.getAttribute('data-testid'))!;
  const at = Number(/t=([\d.]+) s/.exec((await link.textContent())!)![1]) * 1000;
  // Back to the start, where nothing is violated yet .
  await page.getByTestId('time-scrubber').fill('0');
  await expect(violated).toHaveAttribute('data-status', 'ok');
  await expect(page.getByTestId(id)).toHaveCount(0);
  await page.getByTestId('time-scrubber').fill(String(Math.round(at) + 2000));
  await page.getByTestId(id).click();
  await expect(page.getByTestId('clock')).not.toHaveAttribute('data-now', String(Math.round(at) + 2000));
  const now = Number(await page.getByTestId('clock').getAttribute('data-time'));
  expect(Math.abs(now - at)).toBeLessThan(1);
  await expect(violated).toHaveAttribute('data-status', 'violated');
  // One event earlier, it has not happened yet.
  await page.getByTestId('step-back').click();
  await expect(violated).toHaveAttribute('data-status', 'ok');
});

test('a client that follows hints: a PUT to a follower answers 200 from the leader after a 409', async ({ page }) => {
  await openPlayground(page, { seed: 10, speed: 5 });
  const leader = await stableLeader(page);
  const follower = others(['n1', 'n2', 'n3'], leader)[0]!;
  await page.getByTestId('client-name').selectOption('c2');
  const answer = await client(page, 'put', follower, 'k', 'v', true);
  expect(answer).toMatchObject({ status: 200, node: leader });
  const result = page.getByTestId('client-result');
  await expect(result).toHaveAttribute('data-attempts', '2');
  await expect(page.getByTestId('client-attempts')).toContainText(`the leader is ${leader}`);
  await expect(page.getByTestId('client-latency')).toContainText('2 tries (1 retry)');
  expect(Number(await result.getAttribute('data-latency'))).toBeGreaterThan(0);
  await expect(result).toContainText('c2:');
});

test('challenges turn green only when achieved', async ({ page }) => {
  await openPlayground(page, { seed: 3, speed: 10 });
  const leader = await stableLeader(page);
  for (const id of ['second-leader', 'split-vote', 'snapshot', 'lost-write', 'stale-read']) {
    await expect(page.getByTestId(`challenge-${id}`)).toHaveAttribute('data-status', 'open');
  }
  // Killing the leader gets a second one elected, but that is not the challenge.
  await kill(page, leader);
  await stableLeader(page, others(['n1', 'n2', 'n3'], leader));
  await expect(page.getByTestId('challenge-second-leader')).toHaveAttribute('data-status', 'open');
  // Without a crash: a fresh run, isolate the leader.
  await page.getByTestId('reset').click();
  const first = await stableLeader(page);
  await page.getByTestId(`isolate-${first}`).click();
  await expect(page.getByTestId('challenge-second-leader')).toHaveAttribute('data-status', 'achieved', { timeout: 30_000 });
  // A snapshot: a follower away while the load fills the log past a compaction.
  await page.getByTestId('heal-all').click();
  const now = await stableLeader(page);
  const follower = others(['n1', 'n2', 'n3'], now)[0]!;
  await page.getByTestId('client-load').selectOption('50');
  await kill(page, follower);
  await expect(page.getByTestId('challenge-snapshot')).toHaveAttribute('data-status', 'achieved', { timeout: 60_000 });
  await expect(page.getByTestId('challenge-lost-write')).toHaveAttribute('data-status', 'open');
});

test('scenario files: export a run, import it in a fresh page (same verdict), and the same file passes in vitest', async ({ page, browser }) => {
  const dir = mkdtempSync(join(tmpdir(), 'raft-scenario-'));
  try {
    await openPlayground(page, { seed: 12, nodes: 5, speed: 10 });
    const leader = await stableLeader(page, five);
    await kill(page, leader);
    await stableLeader(page, others(five, leader));
    await pause(page);
    const download = page.waitForEvent('download');
    await page.getByTestId('export-scenario').click();
    const file = join(dir, 'exported.json');
    await (await download).saveAs(file);
    const exported = JSON.parse(readFileSync(file, 'utf8'));
    expect(exported.format).toBe('raft-kv-scenario');
    expect(exported.script).toHaveLength(1);

    const fresh = await browser.newPage();
    await openPlayground(fresh, { seed: 1 });
    await fresh.getByTestId('import-scenario').setInputFiles(file);
    await expect(fresh.getByTestId('loaded-run')).toHaveAttribute('data-status', 'pass');
    await expect(fresh.getByTestId('state-hash')).toHaveAttribute('data-hash', (await page.getByTestId('state-hash').getAttribute('data-hash'))!);
    // The same run opened from a scenario link: the same verdict.
    await page.getByTestId('scenario-link').click();
    const link = (await page.getByTestId('share-link').getAttribute('href'))!;
    expect(new URL(link).searchParams.get('scenario')).not.toBeNull();
    const byLink = await browser.newPage();
    await byLink.goto(link);
    await expect(byLink.getByTestId('loaded-run')).toHaveAttribute('data-status', 'pass');
    await byLink.close();
    // A changed expectation fails, in the page too.
    const wrong = { ...exported, expect: exported.expect.map((e: { check: string; node: string | null }) => (e.check === 'leader' ? { ...e, node: leader } : e)) };
    writeFileSync(join(dir, 'wrong.json'), JSON.stringify(wrong));
    await fresh.getByTestId('import-scenario').setInputFiles(join(dir, 'wrong.json'));
    await expect(fresh.getByTestId('loaded-run')).toHaveAttribute('data-status', 'fail');
    await fresh.close();

    // The very same file through vitest (the runner the checked-in files use).
    const out = execFileSync('npx', ['vitest', 'run', '--reporter=verbose', 'playground/test/scenario-files.test.ts'], {
      cwd: repo, env: { ...process.env, SCENARIO_FILES: file }, encoding: 'utf8', timeout: 120_000,
    });
    expect(out).toContain('exported.json: passes');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the checked-in scenario files get the same verdict in the page as in vitest: pass', async ({ page }) => {
  const dir = join(repo, 'playground/scenarios');
  await openPlayground(page, { seed: 1 });
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    await page.getByTestId('import-scenario').setInputFiles(join(dir, name));
    // The title first: the verdict shown must be this file's, not the previous one's.
    await expect(page.getByTestId('loaded-run')).toContainText(JSON.parse(readFileSync(join(dir, name), 'utf8')).title);
    await expect(page.getByTestId('loaded-run'), name).toHaveAttribute('data-status', 'pass');
  }
});
