/**
 * One description of a node's state, the same in every world: the simulator's views, the real
 * node's status endpoint and live stream, the scenario drivers and the playground all read this
 * shape (and add only what their world has: URLs, a process id, a window of the log).
 */
import type { ApplyLogView } from './apply-log';
import type { FollowerStatus } from './raft-node';
import type { NodeId, Role } from './types';

/** What a node has on disk (survives a crash): the hard state and where its log ends. */
export interface DurableState {
  term: number;
  vote: NodeId | null;
  commit: number;
  lastIndex: number;
  snapshotIndex: number;
}

export interface NodeState {
  id: NodeId;
  up: boolean;
  /** The core's role (a pre-vote candidate is `preCandidate`); `down` while crashed or stopped. */
  role: Role | 'down';
  term: number;
  votedFor: NodeId | null;
  leaderId: NodeId | null;
  commitIndex: number;
  lastApplied: number;
  firstIndex: number;
  lastIndex: number;
  lastTerm: number;
  /** Index and term of the log's base (the last entry the snapshot covers). */
  snapshotIndex: number;
  snapshotTerm: number;
  /** Entries held after the snapshot base (the HTTP API's `logLen`). */
  logLength: number;
  voters: NodeId[];
  learners: NodeId[];
  /** Index of the configuration entry in effect (0: the initial configuration). */
  configIndex: number;
  /** Leader: the voter leadership is being handed to. */
  leadTransferee: NodeId | null;
  durable: DurableState;
  /** Election timer in ticks (followers and candidates). */
  timer: { elapsed: number; timeout: number } | null;
  /** Candidate and pre-candidate: the answers received so far in this election. */
  votes: Record<NodeId, boolean> | null;
  /** Leader only: its view of every member, its own entry included. */
  progress: Record<NodeId, FollowerStatus> | null;
  /** A Ready is being written to disk. */
  persisting: boolean;
  applyLog: ApplyLogView;
  /** -1 until the first AppendEntries from a current leader in this life; 0 on a leader. */
  lastHeartbeatAgoMs: number;
}

/** What the HTTP API and the checklist report as a role: a pre-vote candidate is a follower. */
export type DisplayRole = 'leader' | 'follower' | 'candidate' | 'down';

export const displayRoleOf = (role: NodeState['role']): DisplayRole => (role === 'preCandidate' ? 'follower' : role);

/** A node that is not running: only its disk speaks for it. */
export function downNodeState(id: NodeId, durable: DurableState, voters: NodeId[], learners: NodeId[], snapshotTerm: number): NodeState {
  return {
    id, up: false, role: 'down', term: durable.term, votedFor: durable.vote, leaderId: null, commitIndex: durable.commit,
    lastApplied: 0, firstIndex: durable.snapshotIndex + 1, lastIndex: durable.lastIndex, lastTerm: 0,
    snapshotIndex: durable.snapshotIndex, snapshotTerm, logLength: durable.lastIndex - durable.snapshotIndex, voters, learners,
    configIndex: 0, leadTransferee: null, durable, timer: null, votes: null, progress: null, persisting: false, applyLog: { last: [], count: 0, increasing: true },
    lastHeartbeatAgoMs: -1,
  };
}
