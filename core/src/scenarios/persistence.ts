/** P, S and K: persistence, snapshots and the reference's kill-leader test (docs/scenarios.md). */
import type { ClusterDriver } from './driver';
import type { Scenario } from './scenario';
import { everywhere } from './scenario';
import { check, describe, limits, others, putOk, readEverywhere, stableLeader, waitFor } from './helpers';
import type { NodeId } from '../types';

const three = { nodes: 3 };

async function writeKeys(d: ClusterDriver, leader: NodeId, prefix: string, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++) await putOk(d, leader, `${prefix}${i}`, `v${i}`);
}

async function serveKeys(d: ClusterDriver, nodes: readonly NodeId[], prefix: string, from: number, to: number, timeoutMs: number): Promise<void> {
  const deadline = d.now() + timeoutMs;
  for (let i = from; i <= to; i++) await readEverywhere(d, nodes, `${prefix}${i}`, `v${i}`, Math.max(0, deadline - d.now()));
}

export const P1: Scenario = {
  id: 'P1',
  title: 'Follower restart',
  summary: 'A follower restarted after missing writes serves all of them.',
  cluster: three,
  worlds: everywhere,
  async run({ d, narrate }) {
    const leader = await stableLeader(d);
    await writeKeys(d, leader, 'k', 1, 5);
    const follower = others(d, leader)[0]!;
    narrate(`Kill ${follower}, write k6..k10, restart it.`);
    await d.kill(follower);
    await writeKeys(d, leader, 'k', 6, 10);
    await d.restart(follower);
    await serveKeys(d, [follower], 'k', 1, 10, 40_000);
  },
};

export const P2: Scenario = {
  id: 'P2',
  title: 'Leader restart',
  summary: 'A restarted old leader comes back as a follower of the new leader with every write.',
  cluster: three,
  worlds: everywhere,
  async run({ d, narrate }) {
    const leader = await stableLeader(d);
    await putOk(d, leader, 'x', '10');
    narrate(`Kill the leader ${leader}; wait for a new one; write y=20.`);
    await d.kill(leader);
    const newLeader = await stableLeader(d, limits.reelectionMs, others(d, leader));
    await putOk(d, newLeader, 'y', '20');
    await d.restart(leader);
    await readEverywhere(d, d.nodeIds, 'x', '10', 20_000);
    await readEverywhere(d, d.nodeIds, 'y', '20', 20_000);
    await waitFor(d, `${leader} to follow ${newLeader}`, 15_000, async () => {
      const s = await d.status(leader);
      return s.role === 'follower' && s.leaderId === newLeader ? true : undefined;
    });
  },
};

export const P3: Scenario = {
  id: 'P3',
  title: 'An unacknowledged write is all-or-nothing',
  summary: 'A write that was never acknowledged may commit later or vanish, but never on only some nodes.',
  cluster: three,
  worlds: everywhere,
  async run({ d, narrate }) {
    const leader = await stableLeader(d);
    const followers = others(d, leader);
    narrate('Kill both followers; a write to the lone leader cannot be acknowledged.');
    for (const f of followers) await d.kill(f);
    const response = await d.put(leader, 'p3', 'maybe');
    check(response.status !== 200, `expected no acknowledgement, got ${describe(response)}`);
    await d.kill(leader);
    for (const id of d.nodeIds) await d.restart(id);
    const newLeader = await stableLeader(d);
    await putOk(d, newLeader, 'p3_after', '1');
    await readEverywhere(d, d.nodeIds, 'p3_after', '1', 15_000);
    const seen: number[] = [];
    for (const id of d.nodeIds) seen.push((await d.get(id, 'p3')).status);
    const present = seen.filter((s) => s === 200).length;
    check(present === 0 || present === d.nodeIds.length, `p3 is present on ${present} of ${d.nodeIds.length} nodes (${seen.join(',')})`);
  },
};

export const P4: Scenario = {
  id: 'P4',
  title: 'Whole-cluster restart',
  summary: 'After all nodes restart, every committed key is readable without any new write.',
  cluster: three,
  worlds: everywhere,
  async run({ d, narrate }) {
    const leader = await stableLeader(d);
    narrate('Write 100 keys, kill all three nodes, restart them.');
    await writeKeys(d, leader, 'w', 1, 100);
    for (const id of d.nodeIds) await d.kill(id);
    for (const id of d.nodeIds) await d.restart(id);
    await stableLeader(d);
    await serveKeys(d, d.nodeIds, 'w', 1, 100, 30_000);
  },
};

export const P5: Scenario = {
  id: 'P5',
  title: 'Torn write',
  summary: 'A node killed while appending under load recovers its intact records and loses no acknowledged write.',
  cluster: three,
  worlds: everywhere,
  async run({ d, narrate }) {
    const leader = await stableLeader(d);
    const acked: string[] = [];
    let stop = false;
    const writer = async (client: number) => {
      for (let i = 0; !stop; i++) {
        const key = `t${client}_${i}`;
        const response = await d.put(leader, key, key);
        if (response.status === 200) acked.push(key);
        else break;
      }
    };
    narrate(`Four clients write to ${leader}; kill it while it appends.`);
    const writers = [1, 2, 3, 4].map(writer);
    await waitFor(d, '20 acknowledged writes', limits.writeMs * 4, async () => (acked.length >= 20 ? true : undefined), 5);
    await d.kill(leader);
    stop = true;
    await Promise.all(writers);
    const newLeader = await stableLeader(d, limits.reelectionMs, others(d, leader));
    await d.restart(leader);
    narrate(`${leader} restarts from its log up to the last intact record and rejoins.`);
    await waitFor(d, `${leader} to rejoin as a follower of ${newLeader}`, 20_000, async () => {
      const s = await d.status(leader);
      return s.role === 'follower' && s.leaderId === newLeader ? true : undefined;
    });
    const deadline = d.now() + 30_000;
    for (const key of acked) await readEverywhere(d, d.nodeIds, key, key, Math.max(0, deadline - d.now()));
  },
};

export const S1: Scenario = {
  id: 'S1',
  title: 'Snapshot survives restart',
  summary: 'The leader snapshots every 20 entries; restarted from its snapshot it still serves every key.',
  cluster: { nodes: 3, snapshotThreshold: 20 },
  worlds: everywhere,
  async run({ d, narrate }) {
    const leader = await stableLeader(d);
    await writeKeys(d, leader, 's', 1, 60);
    await waitFor(d, `a snapshot on ${leader}`, 60_000, async () => ((await d.snapshotIndex(leader)) > 0 ? true : undefined));
    narrate(`${leader} has a snapshot; kill and restart it.`);
    await d.kill(leader);
    await d.restart(leader);
    await stableLeader(d, limits.reelectionMs);
    await serveKeys(d, [leader], 's', 1, 60, 30_000);
  },
};

export const S2: Scenario = {
  id: 'S2',
  title: 'InstallSnapshot',
  summary: 'A follower behind the leader\'s compacted log catches up through a snapshot transfer.',
  cluster: { nodes: 3, snapshotThreshold: 20 },
  worlds: everywhere,
  async run({ d, narrate }) {
    const leader = await stableLeader(d);
    const follower = others(d, leader)[0]!;
    await putOk(d, leader, 'before', '1');
    await readEverywhere(d, [follower], 'before', '1', 12_000);
    const followerLast = (await d.status(follower)).commitIndex;
    narrate(`Kill ${follower} and write until ${leader} compacts its log past it.`);
    await d.kill(follower);
    await writeKeys(d, leader, 'c', 1, 60);
    await waitFor(d, `${leader} to compact past ${follower}`, 30_000, async () =>
      ((await d.snapshotIndex(leader)) > followerLast + 1 ? true : undefined));
    narrate(`Restart ${follower}: the entries it needs are gone, so the leader sends a snapshot.`);
    await d.restart(follower);
    await serveKeys(d, [follower], 'c', 1, 60, 30_000);
    await readEverywhere(d, [follower], 'before', '1', 5_000);
  },
};

export const K: Scenario = {
  id: 'K',
  title: 'Leader kill',
  summary: 'Followers hear heartbeats; when the leader dies a different node takes over; the old one follows it.',
  cluster: three,
  worlds: everywhere,
  async run({ d, narrate }) {
    const leader = await stableLeader(d);
    await waitFor(d, 'every follower to report a recent heartbeat', 5_000, async () => {
      for (const id of others(d, leader)) {
        const ago = (await d.status(id)).lastHeartbeatAgoMs;
        if (ago < 0 || ago > 250) return undefined;
      }
      return true;
    });
    narrate(`Kill the leader ${leader}.`);
    await d.kill(leader);
    const newLeader = await stableLeader(d, 10_000, others(d, leader));
    check(newLeader !== leader, 'the new leader must be a different node');
    await d.restart(leader);
    await waitFor(d, `${leader} to follow ${newLeader}`, 15_000, async () => {
      const s = await d.status(leader);
      return s.role === 'follower' && s.leaderId === newLeader ? true : undefined;
    });
  },
};

export const persistenceScenarios: readonly Scenario[] = [P1, P2, P3, P4, P5, S1, S2, K];
