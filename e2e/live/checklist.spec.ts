/**
 * A-H (docs/scenarios.md) on real processes, performed from the page in live mode: the kill, restart
 * and isolate buttons and the client panel, with the result read off the screen, under
 * the real-process time limits of docs/scenarios.md. Each spec starts from a healthy cluster (fixtures.ts).
 */
import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures';
import { raftStatus, readRunState } from './support/cluster';
import {
  all, client, expectApplyLogsInOrder, kill, nodeState, nodeStates, openLive, others, putOk, readEventually, readEverywhere, reelectionMs, restart, stableLeader,
} from './ui';

test('A1 exactly one leader', async ({ page }) => {
  await openLive(page);
  await stableLeader(page);
  const states = await nodeStates(page);
  expect(states.filter((s) => s.role === 'leader')).toHaveLength(1);
  expect(states.filter((s) => s.role === 'follower')).toHaveLength(2);
  expect(new Set(states.map((s) => s.term)).size).toBe(1);
});

test('A2 no election spam', async ({ page }) => {
  await openLive(page);
  const leader = await stableLeader(page);
  const samples: string[] = [];
  // Once a second for 15 s: the leader never changes and no node is ever a candidate.
  await expect.poll(async () => {
    const states = await nodeStates(page);
    for (const s of states) {
      expect(s.role, `${s.id} at sample ${samples.length}`).not.toBe('candidate');
      if (s.role === 'leader') expect(s.id, `leader at sample ${samples.length}`).toBe(leader);
    }
    samples.push(states.map((s) => `${s.id}:${s.role}:${s.term}`).join(' '));
    return samples.length;
  }, { intervals: [1000], timeout: 25_000 }).toBeGreaterThanOrEqual(16);
});

test('B1 write to a follower', async ({ page, cluster }) => {
  await openLive(page);
  const leader = await stableLeader(page);
  const follower = others(all, leader)[0]!;
  const answer = await client(page, 'put', follower, 't1', '111');
  expect(answer.status).toBe(409);
  expect(answer.body).toMatchObject({ ok: false, error: 'not_leader', leaderId: leader, leader: cluster.find((n) => n.id === leader)!.kvUrl });
  await expect(page.getByTestId('client-result')).toContainText(`retry at ${leader}`);
});

test('B2 write to the leader commits and applies', async ({ page }) => {
  await openLive(page);
  const leader = await stableLeader(page);
  const before = await nodeState(page, leader);
  await putOk(page, leader, 't2', '222');
  await expect.poll(async () => {
    const s = await nodeState(page, leader);
    return s.commitIndex > before.commitIndex && s.logLength > before.logLength && s.lastApplied >= s.commitIndex;
  }, { timeout: 10_000 }).toBe(true);
});

test('C1 read everywhere after commit', async ({ page }) => {
  await openLive(page);
  await stableLeader(page);
  await putOk(page, 'leader', 't2', '222');
  await readEverywhere(page, all, 't2', '222', 12_000);
  for (const id of all) await expect(page.getByTestId(`kv-${id}`).locator('[data-key="t2"]')).toHaveText('t2=222');
});

test('C2 order', async ({ page }) => {
  await openLive(page);
  const leader = await stableLeader(page);
  const before = (await nodeState(page, leader)).commitIndex;
  for (const i of [1, 2, 3]) await putOk(page, leader, `o${i}`, String(i));
  for (const i of [1, 2, 3]) await readEverywhere(page, all, `o${i}`, String(i));
  expect((await nodeState(page, leader)).commitIndex - before).toBeGreaterThanOrEqual(3);
});

test('D1 lagging follower catches up', async ({ page }) => {
  await openLive(page);
  const leader = await stableLeader(page);
  const follower = others(all, leader)[0]!;
  await kill(page, follower);
  for (const [k, v] of [['cf1', 'A'], ['cf2', 'B'], ['cf3', 'C']] as const) await putOk(page, leader, k, v);
  await restart(page, follower);
  for (const [k, v] of [['cf1', 'A'], ['cf2', 'B'], ['cf3', 'C']] as const) await readEventually(page, follower, k, v, 20_000);
  await expect.poll(async () => (await nodeState(page, follower)).lastApplied >= (await nodeState(page, leader)).commitIndex, { timeout: 20_000 }).toBe(true);
});

test('E1 uncommitted tail is discarded', async ({ page }) => {
  await openLive(page);
  const leader = await stableLeader(page);
  const [a, b] = others(all, leader) as [string, string];
  await kill(page, a);
  await putOk(page, leader, 'e_commit', '1');
  await kill(page, b);
  const lost = await client(page, 'put', leader, 'e_uncommitted', '999');
  expect(lost.status).not.toBe(200);
  await kill(page, leader);
  await restart(page, a);
  await restart(page, b);
  const newLeader = await stableLeader(page, [a, b], reelectionMs);
  await putOk(page, newLeader, 'e_new', '3');
  await restart(page, leader);
  await readEverywhere(page, all, 'e_new', '3', 15_000);
  await readEverywhere(page, all, 'e_commit', '1', 15_000);
  await readEverywhere(page, all, 'e_uncommitted', null, 15_000);
});

test('F1 commit with one follower down', async ({ page }) => {
  await openLive(page);
  const leader = await stableLeader(page);
  const [down, live] = others(all, leader) as [string, string];
  await kill(page, down);
  await putOk(page, leader, 'f_majority', 'ok');
  await readEverywhere(page, [leader, live], 'f_majority', 'ok');
});

test('F2 no commit without a majority', async ({ page, cluster }) => {
  await openLive(page);
  const leader = await stableLeader(page);
  const [first, second] = others(all, leader) as [string, string];
  await kill(page, first);
  await putOk(page, leader, 'f_majority', 'ok');
  await kill(page, second);
  // The page's status stream may trail the node by a snapshot: take the commit index from the
  // real node and wait for the page to show it before writing.
  const leaderNode = cluster.find((n) => n.id === leader)!;
  const commitBefore = (await raftStatus(leaderNode))!.commitIndex;
  await expect.poll(async () => (await nodeState(page, leader)).commitIndex, { timeout: 5_000 }).toBe(commitBefore);
  const write = await client(page, 'put', leader, 'f_no_majority', 'zzz');
  expect(write.status).not.toBe(200);
  expect((await raftStatus(leaderNode))!.commitIndex).toBe(commitBefore);
  expect((await nodeState(page, leader)).commitIndex).toBe(commitBefore);
  const read = await client(page, 'get', leader, 'f_no_majority');
  expect(read.status).not.toBe(200);
});

test('G1 leader crash', async ({ page }) => {
  await openLive(page);
  const leader = await stableLeader(page);
  await putOk(page, leader, 'lc1', '10');
  await readEverywhere(page, all, 'lc1', '10');
  await kill(page, leader);
  const newLeader = await stableLeader(page, others(all, leader), reelectionMs);
  expect(newLeader).not.toBe(leader);
  await putOk(page, newLeader, 'lc2', '20');
  await restart(page, leader);
  await readEverywhere(page, all, 'lc1', '10', 15_000);
  await readEverywhere(page, all, 'lc2', '20', 15_000);
});

test('H1 exactly-once apply', async ({ page }) => {
  await openLive(page);
  const leader = await stableLeader(page);
  for (let i = 1; i <= 5; i++) await putOk(page, leader, `h${i}`, String(i));
  for (let i = 1; i <= 5; i++) await readEverywhere(page, all, `h${i}`, String(i));
  await expectApplyLogsInOrder(page, all, 5);
  await expect(page.getByTestId('apply-order')).toHaveAttribute('data-status', 'ok');
  // The processes' real stdout, as the supervisor relays it ("[n1] ..." lines, "[n1] exited ..." when one dies):
  // in every life of every node, each index once, strictly increasing; at least 5 in the current one.
  for (const id of all) {
    const lives = applyLinesByLife(readFileSync(readRunState()!.log, 'utf8'), id);
    for (const life of lives) for (let i = 1; i < life.length; i++) expect(life[i]!, `${id}'s stdout`).toBeGreaterThan(life[i - 1]!);
    expect(lives[lives.length - 1]!.length, `${id}'s [apply] lines in this life`).toBeGreaterThanOrEqual(5);
  }
});

/** A node's `[apply] index=N` indexes from the supervisor's output, one list per process life. */
function applyLinesByLife(log: string, id: string): number[][] {
  const lives: number[][] = [[]];
  for (const line of log.split('\n')) {
    if (!line.startsWith(`[${id}] `)) continue;
    if (line.startsWith(`[${id}] exited`)) lives.push([]);
    const m = /\[apply\] index=(\d+)/.exec(line);
    if (m) lives[lives.length - 1]!.push(Number(m[1]));
  }
  return lives;
}
