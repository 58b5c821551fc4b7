/** Shared data types of the Raft core. All of them are plain, JSON-serializable data. */

export type NodeId = string;

/** A KV command. `noop` is the entry a new leader appends to commit entries of earlier terms. */
export type Command =
  | { op: 'set'; key: string; value: string }
  | { op: 'delete'; key: string }
  | { op: 'noop' };

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

export interface SnapshotMeta {
  /** Index and term of the last entry the snapshot covers. */
  index: number;
  term: number;
  /** The cluster members at that point. */
  voters: NodeId[];
}

/** A state-machine snapshot. `data` is opaque to Raft (the KV store serializes itself into it). */
export interface Snapshot {
  meta: SnapshotMeta;
  data: string;
}

export const emptyHardState = (): HardState => ({ term: 0, vote: null, commit: 0 });
export const emptySnapshot = (voters: NodeId[] = []): Snapshot => ({ meta: { index: 0, term: 0, voters }, data: '' });

export const isHardStateEqual = (a: HardState, b: HardState): boolean =>
  a.term === b.term && a.vote === b.vote && a.commit === b.commit;

/** Roles. `preCandidate` is a follower running a PreVote round (Raft thesis 9.6). */
export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';
