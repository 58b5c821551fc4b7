/**
 * The reference implementation's bugs, each with a test on real processes that fails on the buggy
 * behaviour. Two more live in scenarios.test.ts, where the shared scenarios cover them exactly:
 * S2 (a follower behind a snapshot catches up through InstallSnapshot) and P4 (committed data is
 * readable after a whole-cluster restart without a new write).
 */
import { others, putOk, readEverywhere, stableLeader, waitFor } from '@raft-kv/core/scenarios';
import { describe, expect, it } from 'vitest';
import type { ProcessCluster } from './support/process-cluster';
import { clusterPerTest } from './support/process-cluster';

const startCluster = clusterPerTest();

async function requestVote(c: ProcessCluster, to: string, body: Record<string, unknown>): Promise<{ term: number; voteGranted: boolean }> {
  const res = await fetch(`${c.raftUrl(to)}/raft/requestvote`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(2000) });
  expect(res.status).toBe(200);
  return (await res.json()) as { term: number; voteGranted: boolean };
}

describe('reference bugs, fixed', () => {
  it('deleting a missing key answers 200 and the cluster keeps applying', async () => {
    const d = await startCluster({ nodes: 3 });
    const leader = await stableLeader(d);
    const r = await d.del(leader, 'never-written');
    expect(r).toEqual({ status: 200, body: { ok: true, message: 'deleted', key: 'never-written' } });
    await putOk(d, leader, 'after-delete', 'yes');
    await readEverywhere(d, d.nodeIds, 'after-delete', 'yes', 12_000);
  });

  it('an isolated leader steps down (both followers frozen with SIGSTOP)', async () => {
    const d = await startCluster({ nodes: 3 });
    const leader = await stableLeader(d);
    const followers = others(d, leader);
    for (const f of followers) process.kill(d.pid(f)!, 'SIGSTOP');
    try {
      // CheckQuorum: without a majority heard within an election timeout (600 ms) it must step down.
      await waitFor(d, `${leader} to step down`, 5_000, async () => ((await d.status(leader)).role !== 'leader' ? true : undefined), 50);
      const read = await d.get(leader, 'anything');
      expect(read.status).toBe(503);
    } finally {
      for (const f of followers) process.kill(d.pid(f)!, 'SIGCONT');
    }
    await stableLeader(d);
  });

  it('a node never grants two votes in one term, also across a SIGKILL and restart', async () => {
    // One real node whose peers never run: nothing but this test's RequestVotes reach it.
    const c = await startCluster({ nodes: 3 });
    await c.kill('n2');
    await c.kill('n3');
    // A node that heard a leader within the election timeout ignores vote requests (CheckQuorum
    // lease); wait until n1 follows nobody, as on a fresh start.
    await waitFor(c, 'n1 to follow no leader', 5_000, async () => ((await c.rawStatus('n1')).leaderId === null ? true : undefined), 50);
    const ask = (candidate: string) => requestVote(c, 'n1', { term: 5, candidateId: candidate, lastLogIndex: 100, lastLogTerm: 4 });
    expect(await ask('n2')).toEqual(expect.objectContaining({ term: 5, voteGranted: true }));
    expect(await ask('n3')).toEqual(expect.objectContaining({ term: 5, voteGranted: false }));
    await c.kill('n1');
    await c.restart('n1');
    expect(await ask('n3')).toEqual(expect.objectContaining({ term: 5, voteGranted: false }));
    // The same candidate asking again (a retransmission) gets the same answer.
    expect(await ask('n2')).toEqual(expect.objectContaining({ term: 5, voteGranted: true }));
    expect((await c.rawStatus('n1')).votedFor).toBe('n2');
  });
});
