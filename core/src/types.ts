/** Shared data types of the Raft core. All of them are plain, JSON-serializable data. */
import { emptySnapshotDigest } from './snapshot-digest';

export type NodeId = string;

/** Where hosts reach a member added at run time (opaque to Raft; the simulator leaves it out). */
export interface MemberAddress {
  raftUrl: string;
  kvUrl: string;
}

/**
 * The members of the cluster: voters count in every majority, learners only receive the log.
 * `addresses` carries how to reach members that were added at run time, so every node learns it
 * from the log.
 */
export interface Configuration {
  voters: NodeId[];
  learners: NodeId[];
  addresses: Record<NodeId, MemberAddress>;
}

/** One membership change at a time (Raft thesis 4.2): a learner in, a learner promoted, a member out. */
export type ConfigChange =
  | { type: 'addLearner'; node: NodeId; address?: MemberAddress }
  | { type: 'promote'; node: NodeId }
  | { type: 'remove'; node: NodeId };

/**
 * The client session a write belongs to (Raft thesis 6.3): the state machine applies each
 * (client, seq) once and answers a repeat with the first answer (docs/clients.md).
 */
export interface SessionTag {
  /** The session's id: the index of the entry that registered it. */
  client: number;
  /** This request's number in the session, from 1. */
  seq: number;
  /** The lowest number the client still waits on (ack <= seq): answers below it may be forgotten. */
  ack: number;
}

/**
 * A command in the log. `noop` is the entry a new leader appends to commit entries of earlier
 * terms; `config` changes the membership, and carries the whole new configuration. `cas` sets the
 * value only if the key holds `expected` (null: only if absent); `register` opens a client
 * session. A command with a session, and `register`, carry `at`: the proposing leader's clock (ms
 * since the epoch), the only time the state machine knows, so that every replica expires sessions
 * at the same point of the log.
 */
export type Command =
  | { op: 'set'; key: string; value: string; session?: SessionTag; at?: number }
  | { op: 'delete'; key: string; session?: SessionTag; at?: number }
  | { op: 'cas'; key: string; expected: string | null; value: string; session?: SessionTag; at?: number }
  | { op: 'register'; timeoutMs: number; at: number }
  | { op: 'noop' }
  | { op: 'config'; change: ConfigChange; config: Configuration };

/** A log entry; its wire shape is in docs/api.md (the RPCs). Entries are immutable once created. */
export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly command: Command;
}

/** The state Raft must persist before answering RPCs (Figure 2: currentTerm, votedFor), plus commit. */
export interface HardState {
  term: number;
  vote: NodeId | null;
  commit: number;
}

/**
 * A state-machine snapshot as Raft sees it: the position it covers, the members at that point,
 * and how its data is cut into chunks. The data itself is opaque to Raft (the KV state machine
 * writes and reads it) and lives in storage, read one chunk at a time, so no snapshot ever has to
 * fit in one message or in memory.
 */
export interface SnapshotMeta {
  /** Index and term of the last entry the snapshot covers. */
  index: number;
  term: number;
  /** The cluster's membership at that point. */
  config: Configuration;
  /** How many chunks the data is in (0 only for the empty snapshot at index 0), and their total size. */
  chunkCount: number;
  bytes: number;
  /** A checksum of the chunks in order (snapshot-digest.ts): snapshots at one index may be laid out differently. */
  digest: number;
}

/** One chunk of a snapshot on its way from a leader, to be made durable by the receiver. */
export interface SnapshotChunk {
  meta: SnapshotMeta;
  /** Position of this chunk in the snapshot, from 0. */
  chunk: number;
  data: string;
}

export const emptyHardState = (): HardState => ({ term: 0, vote: null, commit: 0 });
export const emptySnapshotMeta = (config: Configuration = configurationOf([])): SnapshotMeta => ({ index: 0, term: 0, config, chunkCount: 0, bytes: 0, digest: emptySnapshotDigest });

/** A configuration of these voters and no learners. */
export const configurationOf = (voters: readonly NodeId[], learners: readonly NodeId[] = []): Configuration =>
  ({ voters: [...voters], learners: [...learners], addresses: {} });

/** Two descriptions of the same snapshot (a receiver resumes a transfer only for the same one). */
export const isSameSnapshot = (a: SnapshotMeta, b: SnapshotMeta): boolean =>
  a.index === b.index && a.term === b.term && a.chunkCount === b.chunkCount && a.bytes === b.bytes && a.digest === b.digest;

/**
 * The one shared empty array, frozen: output queues that are empty are handed out as this instead
 * of a new array each time (the simulator makes millions of them). Adding to it throws.
 */
const emptyArray: readonly never[] = Object.freeze([]);
export const none = <T>(): T[] => emptyArray as unknown as T[];

export const isHardStateEqual = (a: HardState, b: HardState): boolean =>
  a.term === b.term && a.vote === b.vote && a.commit === b.commit;

/** Roles. `preCandidate` is a follower running a PreVote round (Raft thesis 9.6). */
export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';
