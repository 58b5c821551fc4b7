/**
 * The core's configuration: every timing and limit is named here and validated once, at
 * construction. Time is counted in ticks; the host decides how long a tick is.
 */
import type { NodeId } from './types';

/**
 * The bug zoo: each option removes one rule of Raft, the way real implementations have got it
 * wrong, so that the tests can show the checkers catch the bug and the playground can show what
 * goes wrong. All are off by default; the real node never turns them on.
 */
export interface UnsafeOptions {
  /**
   * Let a leader commit an entry of an earlier term by counting replicas (breaks 5.4.2; the
   * Figure 8 scenario then loses a committed entry).
   */
  commitOldTermByCount?: boolean;
  /** Grant votes without checking that the candidate's log is up to date (breaks 5.4.1). */
  skipVoteLogCheck?: boolean;
  /**
   * A leader answers ReadIndex at once, without the heartbeat round that proves it still leads:
   * a deposed leader that has not noticed yet serves stale reads (breaks linearizable reads).
   */
  readWithoutQuorumCheck?: boolean;
  /**
   * A new leader changes the membership before it has committed an entry of its own term (breaks
   * the rule Ongaro added in 2015 to single-server changes: two changes proposed in different
   * terms can then commit with majorities that do not overlap, and two leaders win one term).
   */
  configChangeBeforeOwnTermCommit?: boolean;
  /**
   * A follower replaces its log from the first entry of every AppendEntries, even where the
   * entries already match, dropping whatever followed them (breaks receiver step 3 of Figure 2:
   * truncate only at a conflict). A delayed or duplicated AppendEntries then deletes entries the
   * leader already counted as replicated, and a committed entry can be lost.
   */
  truncateMatchingEntries?: boolean;
  /**
   * A follower advances its commit index to min(leaderCommit, its last index) instead of
   * min(leaderCommit, index of the last new entry) (breaks receiver step 5 of Figure 2). Entries
   * past the ones the leader just checked may be an old leader's, and the follower applies them.
   */
  commitPastLastNewEntry?: boolean;
  /**
   * A follower handles an AppendEntries from an older term as if it came from its leader (breaks
   * receiver step 1 of Figure 2: reply false if term < currentTerm). A deposed leader then
   * overwrites entries that the new leader committed.
   */
  acceptStaleTermAppends?: boolean;
  /**
   * A leader takes a follower's matchIndex from how far it has sent (nextIndex - 1) when any
   * AppendEntries succeeds, not from the entries that response covered (breaks Figure 2's
   * "update nextIndex and matchIndex for follower"). With pipelining, a heartbeat's or an older
   * append's answer then counts entries still in flight, and the leader commits entries that are
   * not on a majority.
   */
  matchFromNextIndex?: boolean;
  /**
   * A follower that receives a snapshot whose last entry it already holds installs it anyway,
   * discarding the entries after it (breaks step 6 of Figure 13: retain the log entries following
   * it). It can drop entries the leader already counted as replicated.
   */
  snapshotDiscardsLog?: boolean;
  /**
   * A node answers RequestVote before its new term and vote are durable (breaks "persistent state:
   * updated on stable storage before responding to RPCs", Figure 2). A crash before the write
   * completes forgets the vote, and after a restart it can vote again in the same term: two
   * leaders in one term.
   */
  voteBeforePersist?: boolean;
  /**
   * A follower acknowledges AppendEntries before the entries are durable (the same rule of Figure
   * 2, for the log). A crash before the write completes loses entries the leader counted toward a
   * majority, so a committed entry can be lost.
   */
  ackAppendBeforePersist?: boolean;
  /**
   * A node serves a linearizable read as soon as its read index is confirmed, without waiting
   * until it has applied up to that index (breaks step 4 of ReadIndex, Raft thesis 6.4). A
   * follower whose state machine lags serves a value older than a write already acknowledged.
   */
  readBeforeApplied?: boolean;
  /**
   * A node that grants a vote, or steps into a candidate's newer term, does not restart its
   * election timer (Figure 2's rules for followers: granting a vote counts as hearing from a
   * candidate). A voter whose timer was about to fire starts an election of its own right after
   * voting, before the new leader's first heartbeat arrives, and deposes the leader it just
   * elected: a liveness bug, leadership changes in a healthy network.
   */
  keepElectionTimerOnVote?: boolean;
}

export interface RaftConfig {
  id: NodeId;
  /**
   * The initial voters, this node included; used until the log or a snapshot says otherwise.
   * Empty for a node that joins a running cluster: it learns its membership from the leader.
   */
  voters: readonly NodeId[];
  /** Seed of the PRNG that randomizes election timeouts. */
  seed: number;
  heartbeatTicks: number;
  /** A follower campaigns after a random timeout in [min, max] ticks without hearing a leader. */
  electionTimeoutTicksMin: number;
  electionTimeoutTicksMax: number;
  preVote: boolean;
  checkQuorum: boolean;
  /**
   * After a start, wait only the random part of the election timeout (plus two ticks) before the
   * first election, instead of the whole timeout. With PreVote a node that starts next to a live
   * leader cannot disrupt it (the leader's followers refuse it), so waiting longer only delays the
   * recovery of a cluster whose nodes all restarted. Ignored without PreVote.
   */
  fastFirstElection: boolean;
  /**
   * A new leader appends a no-op entry of its term at once (Raft 8, etcd's empty entry): it commits
   * the earlier terms' entries before it right away, and lets ReadIndex serve reads. Without it a
   * new leader commits nothing (and holds reads back) until a client writes.
   */
  leaderNoop: boolean;
  /**
   * A leader uses a rejecting follower's conflict hints to skip a whole term per round trip (5.3's
   * optimization). Without it nextIndex moves back one entry per rejection, as Figure 2 says.
   */
  fastBacktracking: boolean;
  /** Most entries carried by one AppendEntries. */
  entriesPerMessageMax: number;
  /** Most AppendEntries in flight to one follower in the replicate state (pipelining window). */
  inflightMessagesMax: number;
  /** Proposals are refused while this many entries are appended but not committed. */
  uncommittedEntriesMax: number;
  /** Most committed entries handed to the host in one Ready. */
  applyEntriesPerReadyMax: number;
  /** A follower whose match has not moved for this many ticks while entries are outstanding is probed again. */
  appendRetransmitTicks: number;
  /** A follower catching up by snapshot that acknowledged no chunk within this many ticks gets the unacknowledged ones again. */
  snapshotRetransmitTicks: number;
  /** Most snapshot chunks in flight to one follower. */
  snapshotChunksInflightMax: number;
  /** A learner is promoted only when it is at most this many entries behind the leader's commit index. */
  promoteLagEntriesMax: number;
  /**
   * Record which rule of Figure 2 each handler applied, with the values it compared (trace.ts),
   * and hand the traces out with each Ready. For the playground's pseudocode view; off for real
   * nodes, where it costs one boolean test per decision.
   */
  traceDecisions: boolean;
  unsafe: UnsafeOptions;
}

export const defaultRaftConfig: Omit<RaftConfig, 'id' | 'voters'> = {
  seed: 1,
  heartbeatTicks: 1,
  electionTimeoutTicksMin: 10,
  electionTimeoutTicksMax: 20,
  preVote: true,
  checkQuorum: true,
  fastFirstElection: false,
  leaderNoop: true,
  fastBacktracking: true,
  entriesPerMessageMax: 256,
  inflightMessagesMax: 64,
  uncommittedEntriesMax: 8192,
  applyEntriesPerReadyMax: 4096,
  appendRetransmitTicks: 3,
  snapshotRetransmitTicks: 30,
  snapshotChunksInflightMax: 4,
  promoteLagEntriesMax: 64,
  traceDecisions: false,
  unsafe: {},
};

export type RaftConfigInput = Pick<RaftConfig, 'id' | 'voters'> & Partial<Omit<RaftConfig, 'id' | 'voters'>>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const positiveIntegerFields = [
  'heartbeatTicks',
  'electionTimeoutTicksMin',
  'electionTimeoutTicksMax',
  'entriesPerMessageMax',
  'inflightMessagesMax',
  'uncommittedEntriesMax',
  'applyEntriesPerReadyMax',
  'appendRetransmitTicks',
  'snapshotRetransmitTicks',
  'snapshotChunksInflightMax',
  'promoteLagEntriesMax',
] as const;

/** Fills defaults and checks every field; throws ConfigError naming the first bad one. */
export function resolveRaftConfig(input: RaftConfigInput): Readonly<RaftConfig> {
  const config: RaftConfig = { ...defaultRaftConfig, ...input, voters: [...input.voters], unsafe: { ...input.unsafe } };
  if (typeof config.id !== 'string' || config.id.trim() === '') throw new ConfigError('id must be a non-empty string');
  if (config.voters.length > 0 && !config.voters.includes(config.id)) throw new ConfigError(`voters must include this node (${config.id}), or be empty for a node that joins`);
  if (new Set(config.voters).size !== config.voters.length) throw new ConfigError('voters must be distinct');
  if (!Number.isSafeInteger(config.seed)) throw new ConfigError('seed must be an integer');
  for (const field of positiveIntegerFields) {
    const value = config[field];
    if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError(`${field} must be a positive integer, got ${value}`);
  }
  if (config.electionTimeoutTicksMax < config.electionTimeoutTicksMin) {
    throw new ConfigError('electionTimeoutTicksMax must be >= electionTimeoutTicksMin');
  }
  // Followers must hear a heartbeat well within the shortest election timeout, or elections
  // happen in a healthy cluster.
  if (config.electionTimeoutTicksMin <= config.heartbeatTicks) {
    throw new ConfigError('electionTimeoutTicksMin must be greater than heartbeatTicks');
  }
  return Object.freeze(config);
}
