/**
 * Durable Raft state as the core reads it. The host writes to it (while handling a Ready) and the
 * core only reads. Index `snapshot.meta.index` is the log's base: its term is known, the entries
 * before it are compacted away.
 */
import { fail } from './assert';
import type { DurableState } from './node-state';
import type { Entry, HardState, NodeId, Snapshot } from './types';
import { emptyHardState, emptySnapshot } from './types';

export interface InitialState {
  hardState: HardState;
  /** The members named by the latest snapshot, or null when there is none. */
  voters: NodeId[] | null;
}

export interface Storage {
  initialState(): InitialState;
  /** Index of the first entry still held (snapshot index + 1). */
  firstIndex(): number;
  /** Index of the last entry, or the snapshot index when no entry follows it. */
  lastIndex(): number;
  /** The term of the entry at `index`, or undefined when it is compacted or beyond the end. */
  term(index: number): number | undefined;
  /** Entries in [lo, hi); the range must lie within [firstIndex, lastIndex + 1]. */
  entries(lo: number, hi: number): Entry[];
  snapshot(): Snapshot;
}

/** The storage interface in memory: the simulator's disk, and the model the real one follows. */
export class MemoryStorage implements Storage {
  private hardState: HardState = emptyHardState();
  private snap: Snapshot;
  /** log[i] holds the entry at index snap.meta.index + 1 + i. */
  private log: Entry[] = [];

  constructor(voters: NodeId[] = []) {
    this.snap = emptySnapshot(voters);
  }

  /** A storage holding `snapshot`, then `entries` (which must follow it), and `hardState`. */
  static restore(snapshot: Snapshot, entries: readonly Entry[], hardState: HardState): MemoryStorage {
    const storage = new MemoryStorage(snapshot.meta.voters);
    storage.snap = snapshot;
    const first = entries[0];
    if (first && first.index !== snapshot.meta.index + 1) fail(`restore: entries start at ${first.index}, not after snapshot ${snapshot.meta.index}`);
    storage.append(entries);
    storage.hardState = { ...hardState };
    return storage;
  }

  initialState(): InitialState {
    return { hardState: { ...this.hardState }, voters: this.snap.meta.index > 0 ? [...this.snap.meta.voters] : null };
  }

  firstIndex(): number {
    return this.snap.meta.index + 1;
  }

  lastIndex(): number {
    return this.snap.meta.index + this.log.length;
  }

  term(index: number): number | undefined {
    const base = this.snap.meta.index;
    if (index === base) return this.snap.meta.term;
    if (index < base || index > this.lastIndex()) return undefined;
    return this.log[index - base - 1]?.term;
  }

  entries(lo: number, hi: number): Entry[] {
    if (lo > hi) fail(`entries: lo ${lo} > hi ${hi}`);
    if (lo < this.firstIndex()) fail(`entries: ${lo} is compacted (first index ${this.firstIndex()})`);
    if (hi > this.lastIndex() + 1) fail(`entries: ${hi} is beyond last index ${this.lastIndex()} + 1`);
    const offset = this.snap.meta.index + 1;
    return this.log.slice(lo - offset, hi - offset);
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  hardStateNow(): HardState {
    return { ...this.hardState };
  }

  /** Everything this storage holds is durable (the simulator writes it when a disk write completes). */
  durable(): DurableState {
    const hs = this.hardState;
    return { term: hs.term, vote: hs.vote, commit: hs.commit, lastIndex: this.lastIndex(), snapshotIndex: this.snap.meta.index };
  }

  setHardState(hardState: HardState): void {
    this.hardState = { ...hardState };
  }

  /**
   * Appends entries that continue the log; entries at or after `entries[0].index` that are already
   * held are replaced (a new leader overwrote them). Entries at or below the snapshot are ignored.
   * Returns the entries stored (a durable storage writes exactly those).
   */
  append(entries: readonly Entry[]): readonly Entry[] {
    if (entries.length === 0) return entries;
    assertContiguous(entries);
    const first = entries[0]!.index;
    const base = this.snap.meta.index;
    if (first > this.lastIndex() + 1) fail(`append: gap, ${first} after last index ${this.lastIndex()}`);
    const skip = Math.max(0, base + 1 - first);
    if (skip >= entries.length) return [];
    const kept = skip === 0 ? entries : entries.slice(skip);
    this.log.length = kept[0]!.index - base - 1;
    for (const entry of kept) this.log.push(entry);
    return kept;
  }

  /**
   * Replaces everything with a snapshot received from a leader. The core installs a snapshot only
   * when its log does not hold the snapshot's last entry, so nothing after it can be kept.
   */
  applySnapshot(snapshot: Snapshot): void {
    if (snapshot.meta.index <= this.snap.meta.index) fail(`applySnapshot: ${snapshot.meta.index} is not newer than ${this.snap.meta.index}`);
    this.snap = snapshot;
    this.log = [];
  }

  /** Records a snapshot of the state machine at `index` (which must be applied) and drops the log before it. */
  createSnapshot(index: number, data: string, voters: NodeId[]): Snapshot {
    const term = this.term(index);
    if (term === undefined) fail(`createSnapshot: no entry at ${index}`);
    if (index < this.snap.meta.index) fail(`createSnapshot: ${index} is older than the snapshot`);
    this.log = this.log.slice(index - this.snap.meta.index);
    this.snap = { meta: { index, term, voters: [...voters] }, data };
    return this.snap;
  }
}

export function assertContiguous(entries: readonly Entry[]): void {
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1]!;
    const entry = entries[i]!;
    if (entry.index !== prev.index + 1) fail(`entries not contiguous: ${prev.index} then ${entry.index}`);
    if (entry.term < prev.term) fail(`entry terms go back: ${prev.term} then ${entry.term} at ${entry.index}`);
  }
}
