/**
 * Durable Raft storage under `<RAFT_DATA_DIR>/<NODE_ID>/`: the WAL (entries and hard state) and
 * `snapshot.json`. The core reads it through the Storage interface from an in-memory copy of the
 * entries after the snapshot (so term() and entries() never touch the disk); the node host writes
 * it while handling a Ready, following MemoryStorage's semantics.
 */
import fs from 'node:fs';
import type { DurableState, Entry, HardState, InitialState, NodeId, ReplicaStorage, Snapshot } from '@raft-kv/core';
import { MemoryStorage, emptySnapshot, fail, isHardStateEqual } from '@raft-kv/core';
import type { Logger } from '../logger';
import type { WalRecord } from './record';
import { hardStateRecord } from './record';
import { readSnapshotFile, writeSnapshotFile } from './snapshot-file';
import { Wal } from './wal';

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

export class DiskStorage implements ReplicaStorage {
  /** The log as the core reads it: an in-memory copy of what is on disk, with MemoryStorage's semantics. */
  private readonly memory: MemoryStorage;
  private walFrom: number;
  /** The hard state as the WAL has it (the commit index may lag behind the in-memory one). */
  private walHardState: HardState;
  private durableState: DurableState;

  private constructor(
    readonly dir: string,
    private readonly wal: Wal,
    private readonly options: DiskStorageOptions,
    state: { snap: Snapshot; walFrom: number; hardState: HardState; log: Entry[] },
  ) {
    this.memory = MemoryStorage.restore(state.snap, state.log, state.hardState);
    this.walFrom = state.walFrom;
    this.walHardState = state.hardState;
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

  // ---- Storage (read by the core, from memory) ----------------------------------------------------

  initialState(): InitialState {
    return this.memory.initialState();
  }

  firstIndex(): number {
    return this.memory.firstIndex();
  }

  lastIndex(): number {
    return this.memory.lastIndex();
  }

  term(index: number): number | undefined {
    return this.memory.term(index);
  }

  entries(lo: number, hi: number): Entry[] {
    return this.memory.entries(lo, hi);
  }

  snapshot(): Snapshot {
    return this.memory.snapshot();
  }

  hardStateNow(): HardState {
    return this.memory.hardStateNow();
  }

  /** What the last completed write left on disk (a write under way is not counted until it is done). */
  durable(): Readonly<DurableState> {
    return this.durableState;
  }

  private staged(): DurableState {
    const hs = this.walHardState;
    return { term: hs.term, vote: hs.vote, commit: hs.commit, lastIndex: this.lastIndex(), snapshotIndex: this.memory.snapshot().meta.index };
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
    for (const entry of this.memory.append(batch.entries)) records.push({ t: 'e', i: entry.index, m: entry.term, c: entry.command });
    const hs = batch.hardState ?? this.memory.hardStateNow();
    this.memory.setHardState(hs);
    if (!batch.mustSync) return records;
    if (!isHardStateEqual(hs, this.walHardState)) {
      this.walHardState = { ...hs };
      records.push(hardStateRecord(hs));
    }
    return records;
  }

  /**
   * A snapshot from the leader replaces the whole log. The new log starts in a fresh WAL segment;
   * snapshot.json names it, so a crash before the rename keeps the old state and a crash after it
   * ignores (and deletes) the old segments.
   */
  private installSnapshot(snapshot: Snapshot): void {
    const current = this.memory.snapshot().meta.index;
    if (snapshot.meta.index <= current) fail(`installSnapshot: ${snapshot.meta.index} is not newer than ${current}`);
    const walFrom = this.wal.rotate();
    writeSnapshotFile(this.dir, { snapshot, walFrom }, this.options.fsync);
    this.wal.dropSegmentsBefore(walFrom);
    this.memory.applySnapshot(snapshot);
    this.walFrom = walFrom;
  }

  /** Records a snapshot of the state machine at `index` (applied, so committed) and compacts the log before it. */
  createSnapshot(index: number, data: string, voters: NodeId[]): Snapshot {
    const term = this.term(index);
    const current = this.memory.snapshot().meta.index;
    if (term === undefined) fail(`createSnapshot: no entry at ${index}`);
    if (index <= current) fail(`createSnapshot: ${index} is not newer than ${current}`);
    // The file first: a crash before the rename keeps the old snapshot and the whole WAL.
    writeSnapshotFile(this.dir, { snapshot: { meta: { index, term, voters: [...voters] }, data }, walFrom: this.walFrom }, this.options.fsync);
    const snapshot = this.memory.createSnapshot(index, data, voters);
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
