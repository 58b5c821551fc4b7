/**
 * Durable Raft storage under `<RAFT_DATA_DIR>/<NODE_ID>/`: the WAL (entries and hard state) and
 * `snapshot.json`. The core reads it through the Storage interface from an in-memory copy of the
 * entries after the snapshot (so term() and entries() never touch the disk); the node host writes
 * it while handling a Ready, following MemoryStorage's semantics.
 */
import fs from 'node:fs';
import type { Entry, HardState, InitialState, NodeId, Snapshot, Storage } from '@raft-kv/core';
import { AssertionError, assertContiguous, emptySnapshot, isHardStateEqual } from '@raft-kv/core';
import type { Logger } from '../logger';
import type { WalRecord } from './record';
import { hardStateRecord } from './record';
import { readSnapshotFile, writeSnapshotFile } from './snapshot-file';
import { Wal } from './wal';

/** A broken precondition (a bug in the caller): crash loudly rather than corrupt the log. */
function fail(message: string): never {
  throw new AssertionError(message);
}

export interface DiskStorageOptions {
  fsync: boolean;
  segmentBytesMax: number;
  logger: Logger;
}

/** What one Ready asks to persist (core's Ready has these fields). */
export interface PersistBatch {
  snapshot: Snapshot | null;
  hardState: HardState | null;
  entries: readonly Entry[];
  /** False when only the commit index changed: that may be written lazily, without an fsync. */
  mustSync: boolean;
}

/** What is on disk (survives a SIGKILL): the WAL's hard state, its last index, the snapshot's index. */
export interface DurableState {
  term: number;
  vote: NodeId | null;
  commit: number;
  lastIndex: number;
  snapshotIndex: number;
}

export class DiskStorage implements Storage {
  private snap: Snapshot;
  private walFrom: number;
  private hardState: HardState;
  /** The hard state as the WAL has it (the commit index may lag behind hardState's). */
  private walHardState: HardState;
  /** log[i] holds the entry at index snap.meta.index + 1 + i. */
  private log: Entry[];
  private durableState: DurableState;

  private constructor(
    readonly dir: string,
    private readonly wal: Wal,
    private readonly options: DiskStorageOptions,
    state: { snap: Snapshot; walFrom: number; hardState: HardState; log: Entry[] },
  ) {
    this.snap = state.snap;
    this.walFrom = state.walFrom;
    this.hardState = state.hardState;
    this.walHardState = state.hardState;
    this.log = state.log;
    this.durableState = this.staged();
  }

  static open(dir: string, voters: NodeId[], options: DiskStorageOptions): DiskStorage {
    fs.mkdirSync(dir, { recursive: true });
    const file = readSnapshotFile(dir);
    const snap = file?.snapshot ?? emptySnapshot(voters);
    const walFrom = file?.walFrom ?? 1;
    const { wal, replay } = Wal.open(dir, walFrom, snap.meta.index, options);
    const storage = new DiskStorage(dir, wal, options, { snap, walFrom, hardState: replay.hardState, log: replay.entries });
    options.logger.info(
      `[storage] opened ${dir}: snapshot index=${snap.meta.index} term=${snap.meta.term}, entries ${storage.firstIndex()}..${storage.lastIndex()}, ` +
        `term=${replay.hardState.term} vote=${replay.hardState.vote ?? '-'} commit=${replay.hardState.commit}`,
    );
    return storage;
  }

  // ---- Storage (read by the core) -----------------------------------------------------------------

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

  /** What the last completed write left on disk (a write under way is not counted until it is done). */
  durable(): Readonly<DurableState> {
    return this.durableState;
  }

  private staged(): DurableState {
    const hs = this.walHardState;
    return { term: hs.term, vote: hs.vote, commit: hs.commit, lastIndex: this.lastIndex(), snapshotIndex: this.snap.meta.index };
  }

  // ---- writes (by the node host, while handling a Ready) -------------------------------------------

  /**
   * Makes a Ready's snapshot, entries and hard state durable, in that order, in one WAL write.
   * Term and vote are durable before any answer goes out (one vote per term, even across a
   * crash). A change of the commit index alone (mustSync false) is not written on its own: the
   * commit index is volatile in the paper, the core clamps what it reads after a restart and learns
   * the rest from the leader, so it rides along with the next entries or vote instead.
   */
  persist(batch: PersistBatch): void {
    this.wal.append(this.stage(batch));
    this.durableState = this.staged();
  }

  /** persist() with the WAL write off the event loop; `done` runs once it is durable. */
  persistAsync(batch: PersistBatch, done: (err: Error | null) => void): void {
    const records = this.stage(batch);
    const after = this.staged();
    this.wal.appendAsync(records, (err) => {
      if (!err) this.durableState = after;
      done(err);
    });
  }

  /** True when persisting `batch` writes nothing (so the Ready can go on at once). */
  static isNoop(batch: PersistBatch): boolean {
    return !batch.mustSync && batch.snapshot === null && batch.entries.length === 0;
  }

  /** Installs a snapshot, updates the in-memory log and hard state, and returns the WAL records to write. */
  private stage(batch: PersistBatch): WalRecord[] {
    if (batch.snapshot) this.installSnapshot(batch.snapshot);
    const records: WalRecord[] = [];
    for (const entry of this.acceptEntries(batch.entries)) records.push({ t: 'e', i: entry.index, m: entry.term, c: entry.command });
    const hs = batch.hardState ?? this.hardState;
    this.hardState = { ...hs };
    if (!batch.mustSync) return records;
    if (!isHardStateEqual(hs, this.walHardState)) {
      this.walHardState = { ...hs };
      records.push(hardStateRecord(hs));
    }
    return records;
  }

  /** Updates the in-memory log like MemoryStorage.append and returns the entries to write. */
  private acceptEntries(entries: readonly Entry[]): readonly Entry[] {
    if (entries.length === 0) return entries;
    assertContiguous(entries);
    const first = entries[0]!.index;
    const base = this.snap.meta.index;
    if (first > this.lastIndex() + 1) fail(`append: gap, ${first} after last index ${this.lastIndex()}`);
    const skip = Math.max(0, base + 1 - first);
    if (skip >= entries.length) return [];
    const kept = skip === 0 ? entries : entries.slice(skip);
    this.log.length = kept[0]!.index - base - 1;
    for (const e of kept) this.log.push(e);
    return kept;
  }

  /**
   * A snapshot from the leader replaces the whole log. The new log starts in a fresh WAL segment;
   * snapshot.json names it, so a crash before the rename keeps the old state and a crash after it
   * ignores (and deletes) the old segments.
   */
  private installSnapshot(snapshot: Snapshot): void {
    if (snapshot.meta.index <= this.snap.meta.index) fail(`installSnapshot: ${snapshot.meta.index} is not newer than ${this.snap.meta.index}`);
    const walFrom = this.wal.rotate();
    writeSnapshotFile(this.dir, { snapshot, walFrom }, this.options.fsync);
    this.wal.dropSegmentsBefore(walFrom);
    this.snap = snapshot;
    this.walFrom = walFrom;
    this.log = [];
  }

  /** Records a snapshot of the state machine at `index` (applied, so committed) and compacts the log before it. */
  createSnapshot(index: number, data: string, voters: NodeId[]): Snapshot {
    const term = this.term(index);
    if (term === undefined) fail(`createSnapshot: no entry at ${index}`);
    if (index <= this.snap.meta.index) fail(`createSnapshot: ${index} is not newer than ${this.snap.meta.index}`);
    const snapshot: Snapshot = { meta: { index, term, voters: [...voters] }, data };
    writeSnapshotFile(this.dir, { snapshot, walFrom: this.walFrom }, this.options.fsync);
    this.log = this.log.slice(index - this.snap.meta.index);
    this.snap = snapshot;
    this.wal.compactTo(index);
    this.durableState = { ...this.durableState, snapshotIndex: index };
    return snapshot;
  }

  walSegmentFiles(): string[] {
    return this.wal.segmentFiles();
  }

  close(): void {
    this.wal.close();
  }
}
