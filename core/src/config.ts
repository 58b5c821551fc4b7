/**
 * The core's configuration: every timing and limit is named here and validated once, at
 * construction. Time is counted in ticks; the host decides how long a tick is.
 */
import type { NodeId } from './types';

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
