/** GET /raft/status: the reference's fields (never renamed) plus this project's additions. */
import { displayRoleOf } from '@raft-kv/core';
import type { NodeConfig } from '../config';
import type { NodeHost } from '../host/node-host';

export function raftStatus(host: NodeHost, config: Pick<NodeConfig, 'nodeId'>): Record<string, unknown> {
  const s = host.describe();
  const peers = host.peers();
  const status: Record<string, unknown> = {
    node_id: config.nodeId,
    id: config.nodeId,
    state: displayRoleOf(s.role),
    term: s.term,
    leaderId: s.leaderId,
    leaderAddr: host.leaderUrl(s.leaderId),
    commitIndex: s.commitIndex,
    lastApplied: s.lastApplied,
    logLen: s.logLength,
    lastLogIndex: s.lastIndex,
    lastLogTerm: s.lastTerm,
    logBaseIndex: s.snapshotIndex,
    logBaseTerm: s.snapshotTerm,
    // The other members now (they change with the membership), at the addresses this node knows.
    peers: peers.map((p) => p.raftUrl),
    peersCount: peers.length,
    lastHeartbeatAgoMs: s.lastHeartbeatAgoMs,
    // Additions: the role in detail (pre-candidate), the vote, the election timer.
    role: s.role,
    votedFor: s.votedFor,
    electionElapsedTicks: s.timer?.elapsed ?? 0,
    electionTimeoutTicks: s.timer?.timeout ?? 0,
    voters: s.voters,
    learners: s.learners,
    configIndex: s.configIndex,
    stats: { ...host.stats, longestStepMs: host.steps.view(), stepCpuClock: host.steps.cpuClock },
  };
  if (s.progress) {
    const nextIndex: Record<string, number> = {};
    const matchIndex: Record<string, number> = {};
    const progress: Record<string, unknown> = {};
    for (const [id, pr] of Object.entries(s.progress)) {
      if (id === config.nodeId) continue;
      const url = host.raftUrlOf(id);
      nextIndex[url] = pr.next;
      matchIndex[url] = pr.match;
      progress[id] = { ...pr, raftUrl: url };
    }
    Object.assign(status, { nextIndex, matchIndex, progress });
  }
  return status;
}
