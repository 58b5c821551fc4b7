/**
 * Durable Raft state as the core reads it. The host writes to it (while handling a Ready) and the
 * core only reads. The log starts after its base (the compaction point, whose term is known); the
 * latest snapshot covers the state up to its own index, which is at or after the base: a few
 * entries before the snapshot stay, so that a follower slightly behind catches up from the log
 * instead of needing the whole snapshot.
 */
import { fail } from './assert';
import type { DurableState } from './node-state';
import type { Configuration, Entry, HardState, NodeId, SnapshotChunk, SnapshotMeta } from './types';
import { configurationOf, emptyHardState, emptySnapshotMeta, isSameSnapshot } from './types';
import { textChunksDigest } from './snapshot-digest';

/** A snapshot this node has started to receive from a leader: which one, and how many chunks it holds. */
export interface IncomingSnapshot {
  meta: SnapshotMeta;
  received: number;
}

export interface InitialState {
  hardState: HardState;
  /** The membership of the latest snapshot, or null when there is none. */
  config: Configuration | null;
  incoming: IncomingSnapshot | null;
}

export interface Storage {
  initialState(): InitialState;
  /** Index of the first entry still held (the log's base + 1). */
  firstIndex(): number;
  /** Index of the last entry, or the base when no entry follows it. */
  lastIndex(): number;
  /** The term of the entry at `index` (the base included), or undefined when compacted or beyond the end. */
  term(index: number): number | undefined;
  /** Entries in [lo, hi); the range must lie within [firstIndex, lastIndex + 1]. */
  entries(lo: number, hi: number): Entry[];
  /** The latest snapshot (index 0 and no chunks when there is none). */
  snapshot(): SnapshotMeta;
  /** Chunk `chunk` of the latest snapshot's data. */
  snapshotChunk(chunk: number): string;
  /** Chunk `chunk` of the snapshot being received (see initialState().incoming). */
  incomingChunk(chunk: number): string;
}

/** The storage interface in memory: the simulator's disk, and the model the real one follows. */
export class MemoryStorage implements Storage {
  private hardState: HardState = emptyHardState();
  private snap: SnapshotMeta;
  /** The snapshot's data; null when a wrapping storage keeps it elsewhere (on disk). */
  private chunks: readonly string[] | null = Object.freeze([]);
  private base = { index: 0, term: 0 };
  /** log[i] holds the entry at index base.index + 1 + i. */
  private log: Entry[] = [];
  private incoming: { meta: SnapshotMeta; chunks: string[] } | null = null;

  constructor(voters: readonly NodeId[] = []) {
    this.snap = emptySnapshotMeta(configurationOf(voters));
  }

  /**
   * A storage holding `snapshot` (its data kept by the caller when `chunks` is null), a log that
   * starts after `base` with `entries`, and `hardState`.
   */
  static restore(
    snapshot: SnapshotMeta, chunks: readonly string[] | null, base: { index: number; term: number },
    entries: readonly Entry[], hardState: HardState,
  ): MemoryStorage {
    const storage = new MemoryStorage();
    if (base.index > snapshot.index) fail(`restore: log base ${base.index} is after the snapshot ${snapshot.index}`);
    storage.snap = snapshot;
    storage.chunks = chunks === null ? null : Object.freeze([...chunks]);
    storage.base = { ...base };
    const first = entries[0];
    if (first && first.index !== base.index + 1) fail(`restore: entries start at ${first.index}, not after the base ${base.index}`);
    storage.append(entries);
    if (storage.lastIndex() < snapshot.index) fail(`restore: the log ends at ${storage.lastIndex()}, before the snapshot ${snapshot.index}`);
    storage.hardState = { ...hardState };
    return storage;
  }

  initialState(): InitialState {
    const incoming = this.incoming ? { meta: this.incoming.meta, received: this.incoming.chunks.length } : null;
    return { hardState: { ...this.hardState }, config: this.snap.index > 0 ? this.snap.config : null, incoming };
  }

  firstIndex(): number {
    return this.base.index + 1;
  }

  lastIndex(): number {
    return this.base.index + this.log.length;
  }

  term(index: number): number | undefined {
    const base = this.base.index;
    if (index === base) return this.base.term;
    if (index < base || index > this.lastIndex()) return undefined;
    return this.log[index - base - 1]?.term;
  }

  entries(lo: number, hi: number): Entry[] {
    if (lo > hi) fail(`entries: lo ${lo} > hi ${hi}`);
    if (lo < this.firstIndex()) fail(`entries: ${lo} is compacted (first index ${this.firstIndex()})`);
    if (hi > this.lastIndex() + 1) fail(`entries: ${hi} is beyond last index ${this.lastIndex()} + 1`);
    const offset = this.base.index + 1;
    return this.log.slice(lo - offset, hi - offset);
  }

  snapshot(): SnapshotMeta {
    return this.snap;
  }

  snapshotChunk(chunk: number): string {
    if (this.chunks === null) fail('snapshotChunk: this storage keeps no snapshot data');
    const data = this.chunks[chunk];
    if (data === undefined) fail(`snapshotChunk: no chunk ${chunk} in the snapshot at ${this.snap.index} (${this.chunks.length} chunks)`);
    return data;
  }

  incomingChunk(chunk: number): string {
    const data = this.incoming?.chunks[chunk];
    if (data === undefined) fail(`incomingChunk: no chunk ${chunk} received`);
    return data;
  }

  /** Everything this storage holds is durable (the simulator writes it when a disk write completes). */
  durable(): DurableState {
    const hs = this.hardState;
    return { term: hs.term, vote: hs.vote, commit: hs.commit, lastIndex: this.lastIndex(), snapshotIndex: this.snap.index };
  }

  hardStateNow(): HardState {
    return { ...this.hardState };
  }

  setHardState(hardState: HardState): void {
    this.hardState = { ...hardState };
  }

  /**
   * Appends entries that continue the log; entries at or after `entries[0].index` that are already
   * held are replaced (a new leader overwrote them). Entries at or below the base are ignored.
   * Returns the entries stored (a durable storage writes exactly those).
   */
  append(entries: readonly Entry[]): readonly Entry[] {
    if (entries.length === 0) return entries;
    assertContiguous(entries);
    const first = entries[0]!.index;
    const base = this.base.index;
    if (first > this.lastIndex() + 1) fail(`append: gap, ${first} after last index ${this.lastIndex()}`);
    const skip = Math.max(0, base + 1 - first);
    if (skip >= entries.length) return [];
    const kept = skip === 0 ? entries : entries.slice(skip);
    this.log.length = kept[0]!.index - base - 1;
    for (const entry of kept) this.log.push(entry);
    return kept;
  }

  /** Keeps one chunk of a snapshot being received; chunk 0 starts a new one (dropping any other). */
  receiveChunk(c: SnapshotChunk): void {
    if (c.chunk === 0) {
      this.incoming = { meta: c.meta, chunks: [c.data] };
      return;
    }
    const incoming = this.incoming;
    if (!incoming || !isSameSnapshot(incoming.meta, c.meta)) fail(`receiveChunk: chunk ${c.chunk} of a snapshot not being received`);
    if (c.chunk !== incoming.chunks.length) fail(`receiveChunk: chunk ${c.chunk} after ${incoming.chunks.length} chunks`);
    incoming.chunks.push(c.data);
  }

  /**
   * Replaces everything with the snapshot received in full. The core installs a snapshot only when
   * its log does not hold the snapshot's last entry, so nothing after it can be kept.
   */
  installIncoming(meta: SnapshotMeta): void {
    const incoming = this.incoming;
    if (!incoming || !isSameSnapshot(incoming.meta, meta)) fail(`installIncoming: the snapshot at ${meta.index} was not received`);
    if (incoming.chunks.length !== meta.chunkCount) fail(`installIncoming: ${incoming.chunks.length} of ${meta.chunkCount} chunks received`);
    if (textChunksDigest(incoming.chunks) !== meta.digest) fail(`installIncoming: the chunks of the snapshot at ${meta.index} do not match its digest`);
    this.replaceWithSnapshot(meta, incoming.chunks);
    this.incoming = null;
  }

  /** The whole log gives way to a snapshot (whose data a wrapping storage may keep, when `chunks` is null). */
  replaceWithSnapshot(meta: SnapshotMeta, chunks: readonly string[] | null): void {
    if (meta.index <= this.snap.index) fail(`installIncoming: ${meta.index} is not newer than ${this.snap.index}`);
    this.snap = meta;
    this.chunks = chunks === null ? null : Object.freeze([...chunks]);
    this.base = { index: meta.index, term: meta.term };
    this.log = [];
  }

  /**
   * Records a snapshot of the state machine at `index` (which must be applied) and drops the log
   * before it, keeping the last `retainEntries` entries it covers for followers slightly behind.
   */
  createSnapshot(index: number, chunks: readonly string[], config: Configuration, retainEntries: number): SnapshotMeta {
    const term = this.term(index);
    if (term === undefined) fail(`createSnapshot: no entry at ${index}`);
    if (index <= this.snap.index) fail(`createSnapshot: ${index} is not newer than the snapshot at ${this.snap.index}`);
    if (chunks.length === 0) fail('createSnapshot: a snapshot has at least one chunk');
    const meta: SnapshotMeta = { index, term, config, chunkCount: chunks.length, bytes: chunks.reduce((n, c) => n + c.length, 0), digest: textChunksDigest(chunks) };
    this.adoptSnapshot(meta, chunks, Math.max(this.base.index, index - retainEntries));
    return meta;
  }

  /** Records a snapshot of applied state taken from this log (data kept elsewhere when `chunks` is null) and compacts to `logBase`. */
  adoptSnapshot(meta: SnapshotMeta, chunks: readonly string[] | null, logBase: number): void {
    if (this.term(meta.index) !== meta.term) fail(`adoptSnapshot: the log has no entry ${meta.index} of term ${meta.term}`);
    if (meta.index <= this.snap.index) fail(`adoptSnapshot: ${meta.index} is not newer than the snapshot at ${this.snap.index}`);
    this.snap = meta;
    this.chunks = chunks === null ? null : Object.freeze([...chunks]);
    this.compactTo(logBase);
  }

  /** Drops the entries up to `index` (the new base), which a snapshot covers. */
  compactTo(index: number): void {
    if (index <= this.base.index) return;
    if (index > this.snap.index) fail(`compactTo: ${index} is past the snapshot at ${this.snap.index}`);
    const term = this.term(index)!;
    this.log = this.log.slice(index - this.base.index);
    this.base = { index, term };
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
