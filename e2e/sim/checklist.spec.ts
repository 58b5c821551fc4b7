/**
 * A-H (docs/scenarios.md) performed through the playground's controls: the node buttons and the client
 * panel, as a learner would, with the result read off the screen. The guided-scenario buttons are
 * tested separately (guided.spec.ts).
 */
import { expect, test } from '@playwright/test';
import {
  client, expectApplyLogsInOrder, kill, nodeState, nodeStates, openPlayground, others, putOk, readEventually, readEverywhere, restart, simNow, stableLeader, waitSim,
} from './ui';

const all = ['n1', 'n2', 'n3'];

test('A1 exactly one leader', async ({ page }) => {
  await openPlayground(page, { seed: 11 });
  await stableLeader(page);
  const states = await nodeStates(page);
  expect(states.filter((s) => s.role === 'leader')).toHaveLength(1);
  expect(states.filter((s) => s.role === 'follower')).toHaveLength(2);
  expect(new Set(states.map((s) => s.term)).size).toBe(1);
});

test('A2 no election spam', async ({ page }) => {
  await openPlayground(page, { seed: 12 });
  const leader = await stableLeader(page);
  for (let i = 0; i < 15; i++) {
    await waitSim(page, 1000);
    for (const s of await nodeStates(page)) {
      expect(s.role, `${s.id} at sample ${i}`).not.toBe('candidate');
      if (s.role === 'leader') expect(s.id).toBe(leader);
    }
  }
});

test('B1 write to a follower', async ({ page }) => {
  await openPlayground(page, { seed: 13 });
  const leader = await stableLeader(page);
  const follower = others(all, leader)[0]!;
  const answer = await client(page, 'put', follower, 't1', '111');
  expect(answer.status).toBe(409);
  expect(answer.body).toMatchObject({ ok: false, error: 'not_leader', leaderId: leader, leader: `sim://${leader}` });
});

test('B2 write to the leader commits and applies', async ({ page }) => {
  await openPlayground(page, { seed: 14 });
  const leader = await stableLeader(page);
  const before = await nodeState(page, leader);
  await putOk(page, leader, 't2', '222');
  await expect.poll(async () => {
    const s = await nodeState(page, leader);
    return s.commitIndex > before.commitIndex && s.logLength > before.logLength && s.lastApplied >= s.commitIndex;
  }).toBe(true);
});

test('C1 read everywhere after commit', async ({ page }) => {
  await openPlayground(page, { seed: 15 });
  await stableLeader(page);
  await putOk(page, 'leader', 't2', '222');
  await readEverywhere(page, all, 't2', '222');
  // The applied maps on screen agree.
  for (const id of all) await expect(page.getByTestId(`kv-${id}`).locator('[data-key="t2"]')).toHaveText('t2=222');
});

test('C2 order', async ({ page }) => {
  await openPlayground(page, { seed: 16 });
  const leader = await stableLeader(page);
  const before = (await nodeState(page, leader)).commitIndex;
  for (const i of [1, 2, 3]) await putOk(page, leader, `o${i}`, String(i));
  for (const i of [1, 2, 3]) await readEverywhere(page, all, `o${i}`, String(i));
  expect((await nodeState(page, leader)).commitIndex - before).toBeGreaterThanOrEqual(3);
});

test('D1 lagging follower catches up', async ({ page }) => {
  await openPlayground(page, { seed: 17 });
  const leader = await stableLeader(page);
  const follower = others(all, leader)[0]!;
  await kill(page, follower);
  for (const [k, v] of [['cf1', 'A'], ['cf2', 'B'], ['cf3', 'C']] as const) await putOk(page, leader, k, v);
  await restart(page, follower);
  for (const [k, v] of [['cf1', 'A'], ['cf2', 'B'], ['cf3', 'C']] as const) await readEventually(page, follower, k, v, 20_000);
  await expect.poll(async () => (await nodeState(page, follower)).lastApplied >= (await nodeState(page, leader)).commitIndex).toBe(true);
});

test('E1 uncommitted tail is discarded', async ({ page }) => {
  await openPlayground(page, { seed: 18 });
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
  const newLeader = await stableLeader(page, [a, b], 20_000);
  await putOk(page, newLeader, 'e_new', '3');
  await restart(page, leader);
  await readEverywhere(page, all, 'e_new', '3', 15_000);
  await readEverywhere(page, all, 'e_commit', '1', 15_000);
  await readEverywhere(page, all, 'e_uncommitted', null, 15_000);
});

test('F1 commit with one follower down', async ({ page }) => {
  await openPlayground(page, { seed: 19 });
  const leader = await stableLeader(page);
  const [down, live] = others(all, leader) as [string, string];
  await kill(page, down);
  await putOk(page, leader, 'f_majority', 'ok');
  await readEverywhere(page, [leader, live], 'f_majority', 'ok');
});

test('F2 no commit without a majority', async ({ page }) => {
  await openPlayground(page, { seed: 20 });
  const leader = await stableLeader(page);
  const [first, second] = others(all, leader) as [string, string];
  await kill(page, first);
  await putOk(page, leader, 'f_majority', 'ok');
  await kill(page, second);
  const commitBefore = (await nodeState(page, leader)).commitIndex;
  const write = await client(page, 'put', leader, 'f_no_majority', 'zzz');
  expect(write.status).not.toBe(200);
  expect((await nodeState(page, leader)).commitIndex).toBe(commitBefore);
  const read = await client(page, 'get', leader, 'f_no_majority');
  expect(read.status).not.toBe(200);
});

test('G1 leader crash', async ({ page }) => {
  await openPlayground(page, { seed: 21 });
  const leader = await stableLeader(page);
  await putOk(page, leader, 'lc1', '10');
  await readEverywhere(page, all, 'lc1', '10');
  await kill(page, leader);
  const newLeader = await stableLeader(page, others(all, leader), 20_000);
  expect(newLeader).not.toBe(leader);
  await putOk(page, newLeader, 'lc2', '20');
  await restart(page, leader);
  await readEverywhere(page, all, 'lc1', '10', 15_000);
  await readEverywhere(page, all, 'lc2', '20', 15_000);
});

test('H1 exactly-once apply', async ({ page }) => {
  await openPlayground(page, { seed: 22 });
  const leader = await stableLeader(page);
  for (let i = 1; i <= 5; i++) await putOk(page, leader, `h${i}`, String(i));
  for (let i = 1; i <= 5; i++) await readEverywhere(page, all, `h${i}`, String(i));
  await expectApplyLogsInOrder(page, all, 5);
  expect(await simNow(page)).toBeGreaterThan(0);
});
