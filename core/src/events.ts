/**
 * What happened inside a node, and why, for observers: the playground narrates these, node-server
 * streams them over socket.io, tests assert on them. One schema for simulated and real nodes.
 */
import type { AppendRejectReason, VoteRejectReason } from './messages';
import type { Command, ConfigChange, Configuration, NodeId, Role } from './types';

export type RoleChangeReason =
  | 'start'
  | 'election_timeout'
  | 'prevote_won'
  | 'election_won'
  | 'election_lost'
  | 'higher_term'
  | 'leader_discovered'
  | 'check_quorum'
  /** A leader whose own removal from the configuration committed hands over. */
  | 'removed'
  /** The leader handed leadership over (TimeoutNow). */
  | 'leadership_transfer';

export interface LogPosition {
  index: number;
  term: number;
}

type At = { node: NodeId; term: number };

export type RaftEvent =
  | (At & { type: 'roleChanged'; from: Role; to: Role; leaderId: NodeId | null; reason: RoleChangeReason })
  | (At & { type: 'termChanged'; from: number; to: number; cause: NodeId | null })
  | (At & { type: 'electionStarted'; electionTerm: number; preVote: boolean; voters: NodeId[] })
  | (At & { type: 'voteGranted'; candidate: NodeId; electionTerm: number; preVote: boolean })
  | (At & {
      type: 'voteRejected';
      candidate: NodeId;
      electionTerm: number;
      preVote: boolean;
      reason: VoteRejectReason;
      votedFor: NodeId | null;
      leaderId: NodeId | null;
      candidateLast: LogPosition;
      voterLast: LogPosition;
    })
  | (At & { type: 'electionWon'; electionTerm: number; preVote: boolean; votes: NodeId[] })
  | (At & { type: 'electionLost'; electionTerm: number; preVote: boolean; rejectedBy: NodeId[] })
  | (At & { type: 'appendAccepted'; leader: NodeId; prevLogIndex: number; count: number; matchIndex: number })
  | (At & {
      type: 'appendRejected';
      leader: NodeId;
      reason: AppendRejectReason;
      prevLogIndex: number;
      prevLogTerm: number;
      conflictIndex: number;
      conflictTerm: number;
      lastLogIndex: number;
    })
  | (At & { type: 'entriesTruncated'; fromIndex: number; count: number; leader: NodeId })
  | (At & { type: 'followerBackedOff'; follower: NodeId; nextIndex: number; matchIndex: number; reason: string })
  | (At & { type: 'commitAdvanced'; from: number; to: number })
  | (At & { type: 'entryApplied'; index: number; entryTerm: number; command: Command })
  /** A leader starts (or restarts) streaming its snapshot to a follower behind its log. */
  | (At & { type: 'snapshotSent'; to: NodeId; index: number; snapshotTerm: number; chunkCount: number; fromChunk: number })
  /** A follower made a chunk of a snapshot durable (it acknowledges it). */
  | (At & { type: 'snapshotChunkReceived'; from: NodeId; index: number; chunk: number; chunkCount: number })
  | (At & { type: 'snapshotInstalled'; from: NodeId; index: number; snapshotTerm: number })
  | (At & { type: 'snapshotTaken'; index: number; snapshotTerm: number; compactedTo: number })
  | (At & { type: 'readIndexConfirmed'; context: string; index: number })
  | (At & { type: 'readDropped'; context: string; reason: 'not_leader' | 'no_leader' | 'leadership_lost' })
  | (At & { type: 'proposalAccepted'; index: number; command: Command })
  /** A configuration entry entered this node's log (or left it, truncated): it is in effect now. */
  | (At & { type: 'configChanged'; index: number; change: ConfigChange | null; config: Configuration; cause: 'appended' | 'truncated' | 'snapshot' })
  | (At & { type: 'configChangeRefused'; change: ConfigChange; reason: string })
  | (At & { type: 'transferStarted'; target: NodeId; caughtUp: boolean })
  | (At & { type: 'transferAborted'; target: NodeId; reason: 'timeout' | 'target_removed' | 'leadership_lost' })
  | (At & { type: 'timeoutNowSent'; target: NodeId })
  | (At & { type: 'proposalDropped'; reason: 'not_leader' | 'uncommitted_limit' | 'transferring'; leaderId: NodeId | null });

export type RaftEventType = RaftEvent['type'];
