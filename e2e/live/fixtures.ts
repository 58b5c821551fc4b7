/**
 * The live specs' `test`: before each spec the shared real cluster (started by the runner on the
 * first spec's request) is made healthy again: every fault healed, every stopped node restarted,
 * one stable leader followed by all, every node caught up. So each spec starts, as docs/scenarios.md
 * asks, from a healthy cluster, whatever the previous one left. A node a spec added and then
 * retired (removed from the membership and killed, as membership.spec.ts does) is left out: it is
 * no longer part of the cluster. The node processes seen are recorded for the teardown's
 * no-process-left check.
 */
import { expect, test as base } from '@playwright/test';
import type { ClusterNode, RaftStatus } from './support/cluster';
import { ensureCluster, getCluster, raftStatus, recordPids, retiredNodes, supervisorPost } from './support/cluster';

/** Restarting a node (tsx start-up) and electing a leader: docs/scenarios.md allows 25 s for the election alone. */
const healthyTimeoutMs = 60_000;

/** One leader, the others following it in its term, and every node applied up to the leader's commit. */
function agreement(statuses: (RaftStatus | null)[]): { leader: string; caughtUp: boolean } | null {
  const leaders = statuses.filter((s) => s?.state === 'leader');
  if (leaders.length !== 1 || statuses.some((s) => s === null)) return null;
  const leader = leaders[0]!;
  const agree = statuses.every((s) => s!.term === leader.term && (s!.id === leader.id || (s!.state === 'follower' && s!.leaderId === leader.id)));
  if (!agree) return null;
  return { leader: leader.id, caughtUp: statuses.every((s) => s!.lastApplied >= leader.commitIndex) };
}

export async function makeHealthy(): Promise<ClusterNode[]> {
  await ensureCluster();
  const before = await getCluster();
  recordPids(before);
  await supervisorPost('/api/faults', { type: 'healAll' });
  const retired = await retiredNodes(before);
  const inCluster = (nodes: ClusterNode[]) => nodes.filter((n) => !retired.has(n.id));
  for (const node of inCluster(before)) if (node.state === 'stopped') await supervisorPost(`/api/nodes/${node.id}/restart`);
  // The stable leader of docs/scenarios.md: the same one in 5 consecutive polls 250 ms apart.
  let streak = 0;
  let last: string | null = null;
  await expect.poll(async () => {
    const nodes = inCluster(await getCluster());
    if (!nodes.every((n) => n.state === 'running')) return (streak = 0);
    const seen = agreement(await Promise.all(nodes.map(raftStatus)));
    streak = seen && seen.leader === last ? streak + 1 : seen ? 1 : 0;
    last = seen?.leader ?? null;
    return streak >= 5 && seen!.caughtUp ? streak : Math.min(streak, 4);
  }, { intervals: [250], timeout: healthyTimeoutMs, message: 'the cluster did not become healthy (all running, one stable leader, all caught up)' }).toBeGreaterThanOrEqual(5);
  const after = await getCluster();
  recordPids(after);
  return inCluster(after);
}

export const test = base.extend<{ cluster: ClusterNode[] }>({
  // Playwright reads a fixture's dependencies from its first parameter: this one has none.
  // eslint-disable-next-line no-empty-pattern
  cluster: [async ({}, use) => {
    await use(await makeHealthy());
    recordPids(await getCluster().catch(() => []));
  }, { auto: true }],
});

export { expect };
