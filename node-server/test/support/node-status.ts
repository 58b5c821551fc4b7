/** What a real node's GET /raft/status says, as the scenario library's NodeStatus (one mapping for every driver). */
import type { NodeId } from '@raft-kv/core';
import type { NodeStatus } from '@raft-kv/core/scenarios';

/** A node that is stopped or does not answer. */
export function downStatus(id: NodeId): NodeStatus {
  return { id, role: 'down', term: 0, leaderId: null, commitIndex: 0, lastApplied: 0, logLength: 0, lastHeartbeatAgoMs: -1 };
}

export function nodeStatusOf(id: NodeId, s: Record<string, unknown>): NodeStatus {
  return {
    id, role: s.state as NodeStatus['role'], term: s.term as number, leaderId: (s.leaderId as string | null) ?? null,
    commitIndex: s.commitIndex as number, lastApplied: s.lastApplied as number, logLength: s.logLen as number,
    lastHeartbeatAgoMs: s.lastHeartbeatAgoMs as number,
  };
}
