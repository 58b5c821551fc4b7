/**
 * Membership from the live page, on real processes: add a server (the supervisor starts a new node
 * process that joins as a learner), try to promote it while it lags (refused: learner_behind, in
 * words), promote it once the leader has it caught up, hand it the
 * leadership, remove another member; each step checked on the page and against the supervisor's
 * own GET /api/members (the leader's list), and the new node checked as a real process that leads.
 * Afterwards the cluster's membership is put back (the first three voters) and the added process
 * killed, so the next spec starts from the cluster it expects.
 */
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { getCluster, getMembers, kvGet, raftStatus } from './support/cluster';
import type { Members } from './support/cluster';
import { restoreMembership } from './support/membership';
import { all, nodeState, openLive, stableLeader } from './ui';

/** Nodes a spec added, for the cleanup. */
const added: string[] = [];

test.afterEach(async () => {
  await restoreMembership(all, added.splice(0));
});

/** A change commits within a heartbeat or two; a transfer within an election timeout; a new process starts in a few seconds (tsx). */
const answerMs = 45_000;

/** The leader lets a learner lag by 64 entries and still promotes it: write in batches until it is further behind. */
const lagBatch = 10;
const lagWritesMax = 300;

async function putOverHttp(kvUrl: string, key: string, value: string): Promise<void> {
  const res = await fetch(`${kvUrl}/set`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key, value }), signal: AbortSignal.timeout(10_000) });
  expect(res.status, `PUT ${key}: ${await res.text()}`).toBe(200);
}

const roleIn = (list: Members, id: string) => list.members.find((m) => m.id === id)?.role ?? 'none';

/** Clicks a members-panel button once the panel is ready for a request, and waits for its answer (the next one). */
async function ask(page: Page, button: Locator): Promise<{ status: string; text: string; node: string }> {
  const answer = page.getByTestId('live-members-answer');
  const before = Number(await answer.getAttribute('data-seq'));
  await expect(button).toBeEnabled();
  await button.click();
  await expect(answer).toHaveAttribute('data-seq', String(before + 1), { timeout: answerMs });
  await expect(answer).toHaveAttribute('data-state', 'done');
  return { status: (await answer.getAttribute('data-status'))!, text: (await answer.textContent())!, node: (await answer.getAttribute('data-node'))! };
}

test('add, promote, hand over and remove from the live page: each takes effect on the real processes', async ({ page }) => {
  await openLive(page);
  const leader = await stableLeader(page);
  for (const id of all) await expect(page.getByTestId(`live-member-${id}`)).toHaveAttribute('data-role', 'voter');
  await expect(page.getByTestId(`live-member-${leader}`)).toHaveAttribute('data-leader', 'true');

  // Add a server: a new process, then the leader adds it as a learner.
  const add = await ask(page, page.getByTestId('live-add-server'));
  const id = add.node;
  expect(all).not.toContain(id);
  added.push(id);
  expect(add.status, add.text).toBe('200');
  expect(add.text).toContain(`${id} was added as a learner`);
  await expect(page.getByTestId(`live-member-${id}`)).toHaveAttribute('data-role', 'learner');
  expect(roleIn(await getMembers(), id)).toBe('learner');
  const process = (await getCluster()).find((n) => n.id === id)!;
  expect(process.state).toBe('running');
  // It appears in the live view like the first three: ring, nodes table, logs; and it follows the leader.
  await expect(page.getByTestId(`node-${id}`)).toBeVisible();
  await expect(page.getByTestId(`node-${id}`), 'the ring marks it a learner').toHaveAttribute('data-member', 'learner');
  await expect(page.getByTestId(`kill-${id}`)).toBeVisible();
  await expect(page.getByTestId(`log-${id}`)).toBeVisible();
  await expect.poll(async () => (await nodeState(page, id)).leaderId, { timeout: answerMs, message: `${id} follows ${leader}` }).toBe(leader);

  // Promote while it lags: cut off from the others (the page's Isolate) while the leader commits more
  // than 64 entries past it, the learner is behind, and the leader refuses, which the panel says in words.
  await page.getByTestId(`isolate-${id}`).click();
  // The ring draws the cut once the supervisor has set the node's faults.
  for (const other of all) await expect(page.getByTestId(`link-${[other, id].sort().join('-')}`)).toHaveAttribute('data-state', 'cut');
  const leaderKv = (await getCluster()).find((n) => n.id === leader)!.kvUrl;
  // Entries already on their way may still have reached it: write until the leader counts it behind.
  let written = 0;
  while (written < lagWritesMax) {
    for (let i = 0; i < lagBatch; i++, written++) await putOverHttp(leaderKv, `lag${written + 1}`, String(written + 1));
    if ((await getMembers()).members.find((m) => m.id === id)?.caughtUp === false) break;
  }
  expect(written, `${id} still counted as caught up after ${written} writes while isolated`).toBeLessThan(lagWritesMax);
  await expect(page.getByTestId(`live-member-${id}`)).toHaveAttribute('data-caught-up', 'false');
  const refused = await ask(page, page.getByTestId(`live-promote-${id}`));
  expect(refused.status, refused.text).toBe('409');
  expect(refused.text).toContain(`${id} has not caught up with the leader's log yet`);
  expect(refused.text).toContain('learner_behind');
  expect(roleIn(await getMembers(), id)).toBe('learner');

  // Heal: once the leader has it caught up (the panel polls the leader's list), the same button promotes it.
  await page.getByTestId('heal-all').click();
  await expect(page.getByTestId(`live-member-${id}`)).toHaveAttribute('data-caught-up', 'true', { timeout: answerMs });
  const promoted = await ask(page, page.getByTestId(`live-promote-${id}`));
  expect(promoted.status, promoted.text).toBe('200');
  expect(promoted.text).toContain(`${id} is a voter now`);
  await expect(page.getByTestId(`live-member-${id}`)).toHaveAttribute('data-role', 'voter');
  await expect(page.getByTestId(`node-${id}`)).toHaveAttribute('data-member', 'voter');
  expect(roleIn(await getMembers(), id)).toBe('voter');
  expect((await kvGet(process.kvUrl, `lag${written}`)).body.value).toBe(String(written));

  // Hand it the leadership: it leads, on the page, in the supervisor's list and as a real process.
  const transfer = await ask(page, page.getByTestId(`live-transfer-${id}`));
  expect(transfer.status, transfer.text).toBe('200');
  expect(transfer.text).toContain(`${id} leads now`);
  await expect(page.getByTestId(`live-member-${id}`)).toHaveAttribute('data-leader', 'true');
  expect((await getMembers()).leaderId).toBe(id);
  expect((await raftStatus(process))?.state).toBe('leader');
  await expect(page.getByTestId(`node-${id}`)).toHaveAttribute('data-role', 'leader');

  // Remove another member (the old leader): it leaves the list; its process keeps running outside the cluster.
  const remove = await ask(page, page.getByTestId(`live-remove-${leader}`));
  expect(remove.status, remove.text).toBe('200');
  expect(remove.text).toContain(`${leader} was removed`);
  await expect(page.getByTestId(`live-member-${leader}`)).toHaveCount(0);
  await expect(page.getByTestId(`node-${leader}`), 'the ring shows the removed node as not a member').toHaveAttribute('data-member', 'none');
  const list = await getMembers();
  expect(list.members.map((m) => m.id).sort()).toEqual([...all.filter((n) => n !== leader), id].sort());
  expect(list.leaderId).toBe(id);
  expect((await getCluster()).find((n) => n.id === leader)!.state).toBe('running');
});

test('the members panel fits a phone (375 px)', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await openLive(page);
  await expect(page.getByTestId('live-members')).toBeVisible();
  for (const id of all) await expect(page.getByTestId(`live-member-${id}`)).toBeVisible();
  const box = await page.getByTestId('live-members').boundingBox();
  expect(box!.x + box!.width).toBeLessThanOrEqual(375);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
});
