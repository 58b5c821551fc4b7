/**
 * Driving live mode as a user does: the page served by the supervisor at `?mode=live`, its node
 * buttons and client panel, read through the same test hooks as the simulator (docs/playground.md,
 * "Test hooks"). Time here is real: waits poll the page (expect.poll) with docs/scenarios.md's real-process
 * limits, never fixed sleeps.
 */
import { expect } from '@playwright/test';
import type { Page } from '@playwright/test';
import type { NodeState } from '../sim/ui';
import { client, nodeStates } from '../sim/ui';

export { client, expectApplyLogsInOrder, kill, nodeState, nodeStates, others, putOk, restart } from '../sim/ui';
export const all = ['n1', 'n2', 'n3'];

/** docs/scenarios.md, real processes: startup to a stable leader 25 s, re-election 20 s. */
export const startupLeaderMs = 25_000;
export const reelectionMs = 20_000;

export async function openLive(page: Page): Promise<void> {
  await page.goto('/?mode=live');
  await expect(page.getByTestId('mode-live')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('live-mode')).toHaveAttribute('data-state', 'connected');
  for (const id of all) await expect(page.getByTestId(`node-${id}`)).toBeVisible();
}

/** The single leader among `ids`, followed by every other node among them that is up, in its term. */
function agreedLeader(states: NodeState[], ids: readonly string[]): string | null {
  const mine = states.filter((s) => ids.includes(s.id));
  const leaders = mine.filter((s) => s.role === 'leader');
  if (leaders.length !== 1) return null;
  const leader = leaders[0]!;
  const agree = mine.filter((s) => s.role !== 'down').every((s) => s.term === leader.term && (s.role === 'leader' || (s.role === 'follower' && s.leaderId === leader.id)));
  return agree ? leader.id : null;
}

/** The stable leader of docs/scenarios.md, read off the page: the same leader in 5 consecutive polls 250 ms apart. */
export async function stableLeader(page: Page, ids: readonly string[] = all, timeoutMs = startupLeaderMs): Promise<string> {
  let streak = 0;
  let last: string | null = null;
  await expect.poll(async () => {
    const leader = agreedLeader(await nodeStates(page), ids);
    streak = leader && leader === last ? streak + 1 : leader ? 1 : 0;
    last = leader;
    return streak;
  }, { intervals: [250], timeout: timeoutMs, message: `a stable leader among ${ids.join(', ')} within ${timeoutMs / 1000} s` }).toBeGreaterThanOrEqual(5);
  return last!;
}

/** GETs `key` on `node` from the client panel until it answers `value` (404 for null). */
export async function readEventually(page: Page, node: string, key: string, value: string | null, timeoutMs = 12_000): Promise<void> {
  await expect.poll(async () => {
    const answer = await client(page, 'get', node, key);
    const ok = value === null ? answer.status === 404 : answer.status === 200 && answer.body.value === value;
    return ok ? 'ok' : `${answer.status} ${JSON.stringify(answer.body)}`;
  }, { intervals: [250], timeout: timeoutMs, message: `${key} on ${node}: expected ${value ?? '404'}` }).toBe('ok');
}

export async function readEverywhere(page: Page, nodes: readonly string[], key: string, value: string | null, timeoutMs = 12_000): Promise<void> {
  for (const node of nodes) await readEventually(page, node, key, value, timeoutMs);
}
