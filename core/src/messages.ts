/**
 * Raft messages, named as in the paper. Every message carries its sender's term.
 *
 * Contract for hosts: every request (RequestVote, AppendEntries, InstallSnapshot, ReadIndex) that
 * a node steps produces exactly one response to its sender, and a node answers the requests of one
 * peer in the order it stepped them. That lets a request/response transport such as HTTP return
 * the response as the body of the request that caused it.
 */
import type { Entry, NodeId, SnapshotMeta } from './types';

export type VoteRejectReason =
  /** The candidate's term is older than the voter's. */
  | 'stale_term'
  /** The voter already voted for someone else in this term, or follows a leader in it. */
  | 'already_voted'
  /** The candidate's log is not at least as up-to-date as the voter's (5.4.1). */
  | 'log_behind'
  /** The voter heard from a live leader within the minimum election timeout (CheckQuorum lease). */
  | 'leader_lease';

export type AppendRejectReason =
  | 'stale_term'
  /** The follower has no entry at prevLogIndex. */
  | 'missing_entries'
  /** The follower's entry at prevLogIndex has a different term. */
  | 'term_mismatch'
  /** The receiver leads this very term itself: two leaders in one term (a misconfigured or
   *  misbehaving cluster). Refused rather than trusted; the simulator's checker flags the cause. */
  | 'conflicting_leader';

interface Envelope {
  from: NodeId;
  to: NodeId;
  term: number;
}

export interface RequestVote extends Envelope {
  type: 'RequestVote';
  lastLogIndex: number;
  lastLogTerm: number;
  /** A PreVote probe: the term is the one the candidate would campaign in; nobody's term changes. */
  preVote: boolean;
  /** The candidate campaigns because the leader handed leadership to it (TimeoutNow): voters
   *  grant it even while they hear from that leader (the CheckQuorum lease does not apply). */
  transfer: boolean;
}

export interface RequestVoteResponse extends Envelope {
  type: 'RequestVoteResponse';
  voteGranted: boolean;
  preVote: boolean;
  rejectReason?: VoteRejectReason;
}

export interface AppendEntries extends Envelope {
  type: 'AppendEntries';
  prevLogIndex: number;
  prevLogTerm: number;
  entries: Entry[];
  leaderCommit: number;
  /** Increases with every message a leader sends; echoed back so ReadIndex can tell fresh acks. */
  seq: number;
}

export interface AppendEntriesResponse extends Envelope {
  type: 'AppendEntriesResponse';
  success: boolean;
  /** On success: the index of the last entry known to match the leader's log. */
  matchIndex: number;
  /** On rejection: the prevLogIndex of the request that was rejected. */
  rejectedIndex: number;
  /** Fast backtracking hints (on rejection): the first index of conflictTerm in the follower's log,
   *  or its lastLogIndex + 1 when it has no entry at prevLogIndex (conflictTerm is then 0). */
  conflictIndex: number;
  conflictTerm: number;
  lastLogIndex: number;
  rejectReason?: AppendRejectReason;
  seq: number;
}

/**
 * One chunk of a snapshot (Figure 13, with chunk numbers for byte offsets): a leader streams the
 * chunks of its latest snapshot, a few at a time, and the follower makes each durable before it
 * acknowledges it, so a transfer interrupted by a crash on either side resumes where it stopped.
 */
export interface InstallSnapshot extends Envelope {
  type: 'InstallSnapshot';
  meta: SnapshotMeta;
  /** Which chunk this is, from 0; the last one is meta.chunkCount - 1. */
  chunk: number;
  data: string;
  seq: number;
}

export interface InstallSnapshotResponse extends Envelope {
  type: 'InstallSnapshotResponse';
  /** False when the request was refused (stale term, or a conflicting leader): nothing else in it counts. */
  success: boolean;
  /** The snapshot (by index) this answers. */
  snapshotIndex: number;
  /** How many chunks of it the follower holds: the next one it wants (chunkCount once it has all). */
  nextChunk: number;
  /** Once the follower holds everything the snapshot covers: its last log index that matches; else 0. */
  matchIndex: number;
  seq: number;
}

/** A follower asks the leader for a read index on behalf of its client. Terms are informative. */
export interface ReadIndex extends Envelope {
  type: 'ReadIndex';
  context: string;
}

export interface ReadIndexResponse extends Envelope {
  type: 'ReadIndexResponse';
  context: string;
  success: boolean;
  /** When success: reads for `context` are linearizable once the requester applied this index. */
  index: number;
}

/** Leadership transfer (thesis 3.10): the leader tells a caught-up voter to start an election now. */
export interface TimeoutNow extends Envelope {
  type: 'TimeoutNow';
}

export interface TimeoutNowResponse extends Envelope {
  type: 'TimeoutNowResponse';
}

export type Message =
  | RequestVote
  | RequestVoteResponse
  | AppendEntries
  | AppendEntriesResponse
  | InstallSnapshot
  | InstallSnapshotResponse
  | ReadIndex
  | ReadIndexResponse
  | TimeoutNow
  | TimeoutNowResponse;

export type MessageType = Message['type'];

export const isRequest = (m: Message): m is RequestVote | AppendEntries | InstallSnapshot | ReadIndex | TimeoutNow =>
  m.type === 'RequestVote' || m.type === 'AppendEntries' || m.type === 'InstallSnapshot' || m.type === 'ReadIndex' || m.type === 'TimeoutNow';

/** The response type that answers each request type. */
export const responseTypeOf = {
  RequestVote: 'RequestVoteResponse',
  AppendEntries: 'AppendEntriesResponse',
  InstallSnapshot: 'InstallSnapshotResponse',
  ReadIndex: 'ReadIndexResponse',
  TimeoutNow: 'TimeoutNowResponse',
} as const;

/** A message on its way out of a node, with whether it must wait until the Ready is persisted. */
export interface OutboundMessage {
  message: Message;
  /**
   * True for everything except a leader's AppendEntries and InstallSnapshot: votes and acks promise
   * durable state. A leader may replicate before its own fsync (Raft thesis 10.2.1) because it only
   * counts itself towards a quorum once its entries are persisted.
   */
  waitForPersist: boolean;
}
