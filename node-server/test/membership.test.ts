/**
 * Membership changes and leadership transfer on real processes (docs/membership.md): every test
 * runs its own cluster on random ports with a temporary data directory; new nodes start empty with
 * RAFT_JOIN and are added over HTTP, as an operator would. Clients keep writing throughout, and at
 * the end every acknowledged write must be on every member, the new ones included.
 */
import fs from 'node:fs';
import type { NodeId } from '@raft-kv/core';
import { limits, stableLeader, waitFor } from '@raft-kv/core/scenarios';
import { describe, expect, it } from 'vitest';
import { Writers, addVoter, admin, changeOk, checkEveryWriteEverywhere, leaderAmong, membersOn } from './support/membership';
import type { ProcessCluster } from './support/process-cluster';
import { clusterPerTest } from './support/process-cluster';

const startCluster = clusterPerTest(40);

/** Shorter timeouts than the defaults, so that elections after a kill take about a second. */
const timing = { RAFT_HEARTBEAT_MS: '50', RAFT_ELECTION_TIMEOUT_MIN_MS: '500', RAFT_ELECTION_TIMEOUT_MAX_MS: '1000' };

const voters = async (d: ProcessCluster, on: NodeId) => (await membersOn(d, on)).members.filter((m) => m.role === 'voter').map((m) => m.id).sort();

/** Waits until `id`'s own configuration has exactly these voters and no learner. */
async function waitForVoters(d: ProcessCluster, id: NodeId, expected: readonly NodeId[]): Promise<void> {
  const want = [...expected].sort();
  await waitFor(d, `${id} to see voters ${want.join(',')}`, 15_000, async () => {
    const view = await membersOn(d, id);
    const got = view.members.filter((m) => m.role === 'voter').map((m) => m.id).sort();
    return JSON.stringify(got) === JSON.stringify(want) && view.members.every((m) => m.role === 'voter') ? true : undefined;
  }, 100);
}

function logOf(d: ProcessCluster, id: NodeId): string {
  return fs.readFileSync(d.node(id).logFile, 'utf8');
}

function expectNoNodeFailed(d: ProcessCluster): void {
  for (const id of d.nodeIds) expect(logOf(d, id), id).not.toMatch(/"level":60|AssertionError|CorruptWal/);
}

describe('membership on real processes', () => {
  it('replaces a SIGKILLed node with a new one while clients write; then, with the leader killed, the new member helps elect and serve', async () => {
    const d = await startCluster({ nodes: 3, spareNodes: 1, env: timing });
    const members: NodeId[] = [...d.nodeIds];
    const among = () => members;
    const leader = await stableLeader(d);
    const writers = new Writers(d, among);
    await writers.progress(20);

    const dead = members.find((id) => id !== leader)!;
    await d.kill(dead);
    await writers.progress(20);
    const fresh = await d.addNode();
    await addVoter(d, among, fresh);
    members.push(fresh);
    await changeOk(d, among, 'DELETE', `/cluster/members/${dead}`);
    members.splice(members.indexOf(dead), 1);
    for (const id of members) await waitForVoters(d, id, members);
    await writers.progress(20);

    // Two of the three voters are left, the new one among them: they must elect and serve.
    const current = await waitFor(d, 'the leader', limits.reelectionMs, () => leaderAmong(d, members));
    await d.kill(current);
    const survivors = members.filter((id) => id !== current);
    expect(survivors).toContain(fresh);
    const next = await waitFor(d, 'a new leader among the survivors', limits.reelectionMs, () => leaderAmong(d, survivors));
    expect(survivors).toContain(next);
    await writers.progress(20);
    await writers.stop();

    await d.restart(current);
    await checkEveryWriteEverywhere(d, members, writers.acked);
    expect(writers.acked.size).toBeGreaterThan(60);
    expectNoNodeFailed(d);
  });

  it('a node that was down while a new node joined and took the lead catches up from that leader, which it had never heard of', async () => {
    const d = await startCluster({ nodes: 3, spareNodes: 1, env: timing });
    const members: NodeId[] = [...d.nodeIds];
    const among = () => members;
    const leader = await stableLeader(d);
    const away = members.find((id) => id !== leader)!;
    await d.kill(away);
    const fresh = await d.addNode();
    await addVoter(d, among, fresh);
    members.push(fresh);
    await changeOk(d, among, 'POST', '/cluster/leader', { id: fresh });
    expect(await leaderAmong(d, members)).toBe(fresh);
    const writers = new Writers(d, among);
    await writers.progress(20);
    await writers.stop();

    // `away` knows n1-n3 from its environment and the log it had; the leader is a stranger to it.
    await d.restart(away);
    await checkEveryWriteEverywhere(d, members, writers.acked);
    expect(await voters(d, away)).toEqual([...members].sort());
    expect((await d.status(away)).leaderId).toBe(fresh);
  });

  it('grows from 3 to 5 voters and shrinks back to 3 under load', async () => {
    const d = await startCluster({ nodes: 3, spareNodes: 2, env: timing });
    const members: NodeId[] = [...d.nodeIds];
    const among = () => members;
    await stableLeader(d);
    const writers = new Writers(d, among);
    await writers.progress(20);

    for (let i = 0; i < 2; i++) {
      const fresh = await d.addNode();
      await addVoter(d, among, fresh);
      members.push(fresh);
      await writers.progress(10);
    }
    for (const id of members) await waitForVoters(d, id, members);
    expect(await voters(d, members[0]!)).toHaveLength(5);

    // Shrink by two of the first three: one of them may be the leader, which then hands over.
    const leaving = members.slice(0, 2);
    for (const id of leaving) {
      await changeOk(d, among, 'DELETE', `/cluster/members/${id}`);
      members.splice(members.indexOf(id), 1);
      await writers.progress(10);
    }
    for (const id of members) await waitForVoters(d, id, members);
    await writers.stop();
    await checkEveryWriteEverywhere(d, members, writers.acked);
    expectNoNodeFailed(d);
  });

  it('removes the leader: it leads until its removal commits, then steps down; the others elect a leader, and it does not disrupt them', async () => {
    const d = await startCluster({ nodes: 3, env: timing });
    const members: NodeId[] = [...d.nodeIds];
    const among = () => members;
    const leader = await stableLeader(d);
    const writers = new Writers(d, among);
    await writers.progress(20);

    const removed = await admin(d, leader, 'DELETE', `/cluster/members/${leader}`);
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ ok: true, change: { type: 'remove', node: leader } });
    members.splice(members.indexOf(leader), 1);
    const next = await waitFor(d, 'a leader among the others', limits.reelectionMs, () => leaderAmong(d, members));
    await writers.progress(20);

    // The removed node keeps running: it must not campaign, and the cluster's term must not move.
    const term = (await d.status(next)).term;
    const own = await membersOn(d, leader);
    expect(own.members.map((m) => m.id)).not.toContain(leader);
    expect((await d.status(leader)).role).toBe('follower');
    await d.sleep(3_000);
    expect((await d.status(next)).term).toBe(term);
    expect(await leaderAmong(d, members)).toBe(next);
    expect((await d.status(leader)).role).toBe('follower');
    expect((await d.put(leader, 'to-the-removed', 'x')).status).toBe(409);
    await writers.stop();
    await checkEveryWriteEverywhere(d, members, writers.acked);
    expectNoNodeFailed(d);
  });

  it('hands leadership to a named node: it leads after one election, and the old leader answers once it does', async () => {
    const d = await startCluster({ nodes: 3, env: timing });
    const among = () => d.nodeIds;
    const leader = await stableLeader(d);
    const writers = new Writers(d, among);
    await writers.progress(20);
    const { term } = await d.status(leader);
    const target = d.nodeIds.find((id) => id !== leader)!;

    // 200 only if the target won within the election timeout the core gives a transfer (after it,
    // the leader gives up and the answer is 503 transfer_failed).
    const moved = await admin(d, leader, 'POST', '/cluster/leader', { id: target });
    expect(moved).toMatchObject({ status: 200, body: { ok: true, leaderId: target } });
    const now = await d.status(target);
    expect(now.role).toBe('leader');
    // One election, the transfer's own: no round was lost on the way.
    expect(now.term).toBe(term + 1);
    await writers.progress(20);

    // Asking a follower gives the hint; a target that is not a voter, and a malformed one, are refused.
    const other = d.nodeIds.find((id) => id !== target)!;
    expect(await admin(d, other, 'POST', '/cluster/leader', { id: other })).toMatchObject({ status: 409, body: { error: 'not_leader', leaderId: target } });
    expect(await admin(d, target, 'POST', '/cluster/leader', { id: 'n9' })).toMatchObject({ status: 409, body: { error: 'not_voter' } });
    expect((await admin(d, target, 'POST', '/cluster/leader', { id: '' })).status).toBe(400);
    expect(await admin(d, target, 'POST', '/cluster/leader', { id: target })).toMatchObject({ status: 200, body: { leaderId: target } });
    await writers.stop();
    await checkEveryWriteEverywhere(d, d.nodeIds, writers.acked);
  });

  it('a node may be added before it starts or after; a joined node restarts with the membership on its disk', async () => {
    const d = await startCluster({ nodes: 3, spareNodes: 2, env: timing });
    const members: NodeId[] = [...d.nodeIds];
    const among = () => members;
    await stableLeader(d);
    for (let i = 0; i < 20; i++) expect((await d.put(await leaderAmong(d, members) ?? 'n1', `k${i}`, String(i))).status).toBe(200);

    // After: n4 runs first, knows no voters, and never campaigns while nobody adds it.
    const n4 = await d.addNode();
    await d.sleep(2_500);
    expect(await d.status(n4)).toMatchObject({ role: 'follower', term: 0, leaderId: null });
    expect((await membersOn(d, n4)).members).toEqual([]);
    await addVoter(d, among, n4);
    members.push(n4);

    // Before: n5 is added while it does not run yet (the change commits without it); it cannot be
    // promoted until it has caught up, then it starts, catches up, and is promoted.
    const n5 = await d.addNode(false);
    const added = await changeOk(d, among, 'POST', '/cluster/members', { id: n5, raftUrl: d.raftUrl(n5), kvUrl: d.kvUrl(n5) });
    expect(added.body).toMatchObject({ learners: [n5] });
    const leader = (await leaderAmong(d, members))!;
    expect(await admin(d, leader, 'POST', `/cluster/members/${n5}/promote`)).toMatchObject({ status: 409, body: { error: 'learner_behind' } });
    const view = await waitFor(d, `${leader} to find ${n5} unreachable`, 10_000, async () => {
      const v = await membersOn(d, leader);
      return v.members.find((m) => m.id === n5)?.reachable === false ? v : undefined;
    }, 100);
    expect(view.members.find((m) => m.id === n5)).toMatchObject({ role: 'learner', caughtUp: false, matchIndex: 0, raftUrl: d.raftUrl(n5), kvUrl: d.kvUrl(n5) });
    await d.restart(n5);
    await changeOk(d, among, 'POST', `/cluster/members/${n5}/promote`);
    expect((await membersOn(d, (await leaderAmong(d, members))!)).members.find((m) => m.id === n5)).toMatchObject({ role: 'voter', reachable: true });
    members.push(n5);
    for (const id of members) await waitForVoters(d, id, members);

    // Each node says what changed, and prints an [apply] line for each change once it is applied.
    const inLog = (id: NodeId, pattern: RegExp) => waitFor(d, `${pattern} in ${id}'s log`, 10_000, async () => (pattern.test(logOf(d, id)) ? true : undefined), 100);
    await inLog(n4, new RegExp(`\\[apply\\] index=\\d+ op=config change=promote node=${n5} voters=[^ ]*${n5}`));
    await inLog('n1', new RegExp(`\\[membership\\] n1 now voters=[^ ]* learners=${n5} \\(configuration at index=\\d+, appended: addLearner ${n5}\\)`));

    // Restarts: the membership comes from the disk, which the log line says differs from RAFT_JOIN's.
    for (const id of [n4, n5]) {
      await d.kill(id);
      await d.restart(id);
      expect(await voters(d, id)).toEqual([...members].sort());
      expect(logOf(d, id)).toMatch(new RegExp(`\\[membership\\] ${id}: the membership on disk \\(voters [^)]*${id}[^)]*\\) differs from the environment's \\(RAFT_JOIN`));
    }
    const leaderNow = await stableLeader(d, limits.stableLeaderMs, members);
    expect((await d.put(leaderNow, 'after', 'restarts')).status).toBe(200);
    await checkEveryWriteEverywhere(d, members, new Map([['k0', '0'], ['k19', '19'], ['after', 'restarts']]));
    expectNoNodeFailed(d);
  });
});

describe('the membership API', () => {
  it('checks its input (4xx, nothing changes), wants the cluster token, and refuses pages of other origins', async () => {
    const token = 'membership-test-token';
    const d = await startCluster({ nodes: 3, env: { ...timing, RAFT_CLUSTER_TOKEN: token, RAFT_CORS_ORIGINS: 'http://127.0.0.1:8080' } });
    const leader = await stableLeader(d);
    const follower = d.nodeIds.find((id) => id !== leader)!;
    const before = await membersOn(d, leader, token);
    expect(before).toMatchObject({ ok: true, id: leader, leaderId: leader, configCommitted: true });
    expect(before.members.map((m) => [m.id, m.role, m.kvUrl, m.caughtUp])).toEqual(d.nodeIds.map((id) => [id, 'voter', d.kvUrl(id), true]));
    // Every node lists the members in one order (the initial voters are sorted).
    expect((await membersOn(d, follower, token)).members.map((m) => m.id)).toEqual(before.members.map((m) => m.id));
    expect((await membersOn(d, follower, token)).members.every((m) => m.matchIndex === null && m.caughtUp === null)).toBe(true);

    expect((await admin(d, leader, 'GET', '/cluster/members')).status).toBe(401);
    expect((await admin(d, leader, 'POST', '/cluster/members/n2/promote', undefined, 'wrong-token!!')).status).toBe(401);
    const foreign = await fetch(`${d.kvUrl(leader)}/cluster/members/${follower}`, {
      method: 'DELETE', headers: { authorization: `Bearer ${token}`, origin: 'http://evil.example' }, signal: AbortSignal.timeout(5_000),
    });
    expect(foreign.status).toBe(403);

    const bad: [string, string, unknown, number, string][] = [
      ['POST', '/cluster/members', { id: 'n4', raftUrl: 'http://127.0.0.1:1' }, 400, 'bad_request'],
      ['POST', '/cluster/members', { id: 'n 4', raftUrl: 'http://127.0.0.1:1', kvUrl: 'http://127.0.0.1:2' }, 400, 'bad_request'],
      ['POST', '/cluster/members', { id: 'n4', raftUrl: 'ftp://127.0.0.1:1', kvUrl: 'http://127.0.0.1:2' }, 400, 'bad_request'],
      ['POST', '/cluster/members', { id: 'n4', raftUrl: 'https://127.0.0.1:1', kvUrl: 'http://127.0.0.1:2' }, 400, 'bad_request'],
      ['POST', '/cluster/members', { id: 'n4', raftUrl: 'http://127.0.0.1:1', kvUrl: 'http://127.0.0.1:2', extra: 1 }, 400, 'bad_request'],
      ['POST', '/cluster/members', { id: follower, raftUrl: 'http://127.0.0.1:1', kvUrl: 'http://127.0.0.1:2' }, 409, 'already_member'],
      ['POST', `/cluster/members/${follower}/promote`, undefined, 409, 'not_learner'],
      ['POST', '/cluster/members/n9/promote', undefined, 409, 'not_member'],
      ['DELETE', '/cluster/members/n9', undefined, 409, 'not_member'],
      ['DELETE', '/cluster/members/bad%20id', undefined, 400, 'bad_request'],
      ['PUT', '/cluster/members/n2', undefined, 405, 'method_not_allowed'],
      ['POST', '/cluster/leader', { target: follower }, 400, 'bad_request'],
    ];
    for (const [method, pathname, body, status, error] of bad) {
      expect(await admin(d, leader, method, pathname, body, token), `${method} ${pathname} ${JSON.stringify(body)}`).toMatchObject({ status, body: { ok: false, error } });
    }
    // A follower refuses changes with the leader's id and URL as the hint, as for writes.
    expect(await admin(d, follower, 'DELETE', `/cluster/members/${leader}`, undefined, token)).toMatchObject({
      status: 409, body: { error: 'not_leader', leaderId: leader, leader: d.kvUrl(leader) },
    });
    expect(await membersOn(d, leader, token)).toMatchObject({ configIndex: before.configIndex, members: before.members });
    expect((await d.status(leader)).role).toBe('leader');
  });
});
