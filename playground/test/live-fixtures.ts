/** Wire data as a real node and the supervisor send it (core/src/live.ts), for the live-mode tests. */
import type { LiveClusterNode, LiveNodeStatus } from '@raft-kv/core';

export const ids = ['n1', 'n2', 'n3'];
export const kvUrl = (id: string) => `http://127.0.0.1:1808${id.slice(1)}`;
export const raftUrl = (id: string) => `http://127.0.0.1:1908${id.slice(1)}`;

export function clusterNode(id: string, over: Partial<LiveClusterNode> = {}): LiveClusterNode {
  return { id, kvUrl: kvUrl(id), raftUrl: raftUrl(id), observeUrl: raftUrl(id), state: 'running', pid: 1000 + Number(id.slice(1)), ...over };
}

const entry = (index: number, term: number, key?: string) => ({
  index, term, command: key ? { op: 'set' as const, key, value: String(index) } : { op: 'noop' as const },
});

/** A healthy node of a 3-node cluster: n1 leads term 2, six entries, all committed and applied. */
export function status(id: string, over: Partial<LiveNodeStatus> = {}): LiveNodeStatus {
  const leader = id === 'n1';
  return {
    id, kvUrl: kvUrl(id), raftUrl: raftUrl(id), at: 1_700_000_000_000, role: leader ? 'leader' : 'follower', term: 2, votedFor: 'n1', leaderId: 'n1',
    up: true, commitIndex: 6, lastApplied: 6, firstIndex: 1, lastIndex: 6, lastTerm: 2, snapshotIndex: 0, snapshotTerm: 0, logLength: 6,
    voters: [...ids], learners: [], configIndex: 0, leadTransferee: null,
    durable: { term: 2, vote: 'n1', commit: 6, lastIndex: 6, snapshotIndex: 0 },
    timer: leader ? null : { elapsed: 12, timeout: 80 }, tickMs: 10, votes: null,
    progress: leader ? {
      n1: { match: 6, next: 7, state: 'replicate', inflight: 0, recentActive: true },
      n2: { match: 6, next: 7, state: 'replicate', inflight: 0, recentActive: true },
      n3: { match: 5, next: 6, state: 'probe', inflight: 1, recentActive: true },
    } : null,
    entries: [entry(1, 1), entry(2, 1, 'a'), entry(3, 2), entry(4, 2, 'b'), entry(5, 2, 'c'), entry(6, 2, 'd')],
    kv: [['a', '2'], ['b', '4'], ['c', '5'], ['d', '6']], kvTruncated: false, persisting: false,
    applyLog: { last: [1, 2, 3, 4, 5, 6], count: 6, increasing: true }, lastHeartbeatAgoMs: leader ? 0 : 40, faults: {},
    peers: ids.filter((p) => p !== id).map((p) => ({ id: p, kvUrl: kvUrl(p), raftUrl: raftUrl(p) })),
    ...over,
  };
}
