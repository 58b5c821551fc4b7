/**
 * The log as Raft sees it: durable entries in Storage, followed by the unstable tail, with the
 * commit and apply positions. Invariant: snapshot index <= applied <= committed <= lastIndex.
 */
import { assert, fail } from './assert';
import type { Storage } from './storage';
import { assertContiguous } from './storage';
import type { Entry, SnapshotMeta } from './types';
import { none } from './types';
import { Unstable } from './unstable';

export class RaftLog {
  readonly storage: Storage;
  readonly unstable: Unstable;
  committed: number;
  /** Highest index the host has applied (confirmed by advance). */
  applied: number;

  constructor(storage: Storage, committed: number) {
    this.storage = storage;
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    // The state machine starts from the latest snapshot; entries kept before it are already in it.
    this.applied = storage.snapshot().index;
    // The commit index is volatile in the paper; we persist it only to re-apply faster after a
    // restart. A snapshot implies its entries are committed, and a crash between writing the hard
    // state and the entries can leave it past the end: clamp rather than trust it.
    this.committed = Math.min(Math.max(committed, this.applied), last);
  }

  firstIndex(): number {
    const snapshot = this.unstable.snapshot;
    return snapshot ? snapshot.index + 1 : this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.lastIndex() ?? this.storage.lastIndex();
  }

  /** The term at `index`, or undefined if it is compacted or beyond the end. */
  term(index: number): number | undefined {
    if (index === 0) return 0;
    const unstableTerm = this.unstable.term(index);
    if (unstableTerm !== undefined) return unstableTerm;
    if (index < this.firstIndex() - 1 || index > this.lastIndex()) return undefined;
    if (this.unstable.snapshot) return undefined;
    return this.storage.term(index);
  }

  lastTerm(): number {
    const term = this.term(this.lastIndex());
    assert(term !== undefined, 'the last entry always has a term');
    return term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** The highest index known to be persisted by the host. */
  lastStableIndex(): number {
    if (this.unstable.entries.length > 0) return this.unstable.offset - 1;
    if (this.unstable.snapshot) return this.storage.lastIndex();
    return this.lastIndex();
  }

  /** Raft's "at least as up-to-date" rule (5.4.1): compare last terms, then lengths. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Entries in [lo, hi), at most `max` of them; undefined if lo is compacted. */
  slice(lo: number, hi: number, max: number): Entry[] | undefined {
    if (lo < this.firstIndex()) return undefined;
    hi = Math.min(hi, this.lastIndex() + 1, lo + max);
    if (lo >= hi) return [];
    const unstableOffset = this.unstable.offset;
    if (lo >= unstableOffset) return this.unstable.slice(lo, hi);
    const stableHi = Math.min(hi, unstableOffset);
    const stable = this.storage.entries(lo, stableHi);
    return hi > unstableOffset ? stable.concat(this.unstable.slice(unstableOffset, hi)) : stable;
  }

  /** Appends entries (a leader's own proposals). Returns the new last index. */
  append(entries: readonly Entry[]): number {
    if (entries.length === 0) return this.lastIndex();
    assertContiguous(entries);
    const first = entries[0]!.index;
    if (first <= this.committed) fail(`append at ${first} would overwrite committed entries (commit ${this.committed})`);
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  /**
   * The follower side of AppendEntries (Figure 2, receiver steps 2-4) once prev matched: skips the
   * entries we already have, truncates from the first conflict and appends the rest. Returns the
   * index of the first entry that was replaced (0 if none was) and the entries appended.
   * `truncateMatching` is the unsafe option of that name: replace from the first entry given.
   */
  appendFromLeader(entries: readonly Entry[], truncateMatching = false): { truncatedFrom: number; truncatedCount: number; appended: readonly Entry[] } {
    const conflict = truncateMatching && entries.length > 0 ? entries[0]!.index : this.findConflict(entries);
    if (conflict === 0) return { truncatedFrom: 0, truncatedCount: 0, appended: [] };
    if (conflict <= this.committed) fail(`conflict at ${conflict} is committed (commit ${this.committed})`);
    const lastBefore = this.lastIndex();
    const first = entries[0]!.index;
    const appended = entries.slice(conflict - first);
    this.unstable.truncateAndAppend(appended);
    const truncatedCount = conflict <= lastBefore ? lastBefore - conflict + 1 : 0;
    return { truncatedFrom: truncatedCount > 0 ? conflict : 0, truncatedCount, appended };
  }

  /** The first index whose entry is missing or has another term than given; 0 if all match. */
  private findConflict(entries: readonly Entry[]): number {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * Fast backtracking hint: the first index of the term held at `index`, searching back no further
   * than the first available entry.
   */
  firstIndexOfTermAt(index: number): number {
    const term = this.term(index);
    if (term === undefined) return index;
    let i = index;
    const floor = this.firstIndex();
    while (i > floor && this.term(i - 1) === term) i--;
    return i;
  }

  /** The last index whose term is <= term (the leader's side of the hint), or 0. */
  lastIndexWithTermAtMost(term: number, from: number): number {
    let i = Math.min(from, this.lastIndex());
    while (i > 0) {
      const t = this.term(i);
      if (t === undefined || t <= term) return i;
      i--;
    }
    return 0;
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    if (index > this.lastIndex()) fail(`commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
    return true;
  }

  /** Committed entries the host may apply now (all of them are persisted or in this Ready). */
  entriesToApply(max: number): Entry[] {
    const hi = Math.min(this.committed, this.lastIndex()) + 1;
    const lo = this.applied + 1;
    if (lo >= hi) return none();
    const entries = this.slice(lo, hi, max);
    if (entries === undefined) fail(`entries to apply from ${lo} are compacted`);
    return entries;
  }

  appliedTo(index: number): void {
    if (!(index >= this.applied && index <= this.committed)) fail(`applied ${index} outside [${this.applied}, ${this.committed}]`);
    this.applied = index;
  }

  restore(snapshot: SnapshotMeta): void {
    this.unstable.restore(snapshot);
    this.committed = snapshot.index;
  }

  /** The latest snapshot: one received but not yet installed, else the one in storage. */
  snapshot(): SnapshotMeta {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }
}
