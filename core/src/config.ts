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
}

export interface RaftConfig {
  id: NodeId;
  /** All members, this node included. Used when storage holds no snapshot naming them. */
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
  /** A follower catching up by snapshot that has not confirmed it within this many ticks gets it again. */
  snapshotRetransmitTicks: number;
  unsafe: UnsafeOptions;
}

export const defaultRaftConfig: Omit<RaftConfig, 'id' | 'voters'> = {
  seed: 1,
  heartbeatTicks: 1,
  electionTimeoutTicksMin: 10,
  electionTimeoutTicksMax: 20,
  preVote: true,
  checkQuorum: true,
  leaderNoop: true,
  fastBacktracking: true,
  entriesPerMessageMax: 256,
  inflightMessagesMax: 64,
  uncommittedEntriesMax: 8192,
  applyEntriesPerReadyMax: 4096,
  appendRetransmitTicks: 3,
  snapshotRetransmitTicks: 30,
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
] as const;

/** Fills defaults and checks every field; throws ConfigError naming the first bad one. */
export function resolveRaftConfig(input: RaftConfigInput): Readonly<RaftConfig> {
  const config: RaftConfig = { ...defaultRaftConfig, ...input, voters: [...input.voters], unsafe: { ...input.unsafe } };
  if (typeof config.id !== 'string' || config.id.trim() === '') throw new ConfigError('id must be a non-empty string');
  if (!config.voters.includes(config.id)) throw new ConfigError(`voters must include this node (${config.id})`);
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
