/**
 * Durable Raft storage under `<RAFT_DATA_DIR>/<NODE_ID>/`: the WAL (entries and hard state) and
 * the snapshot files (snapshot-file.ts). The core reads it through the Storage interface: the log
 * from an in-memory copy of the entries after the log's base (so term() and entries() never touch
 * the disk), snapshot chunks from the data file one at a time. The node host writes it while
 * handling a Ready, following MemoryStorage's semantics.
 *
 * Snapshots of the node's own state are written in the background (writeSnapshot): the state
 * machine's frozen view is read chunk by chunk and written with asynchronous I/O while the node
 * goes on; only once the data file is durable does the manifest name it, and only then is the log
 * compacted. A crash at any point leaves the previous snapshot and the whole WAL in charge.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type {
  Configuration, DurableState, Entry, HardState, IncomingSnapshot, InitialState, KvDeltaReader, ReplicaStorage, SnapshotChunk, SnapshotMeta, SnapshotSource,
} from '@raft-kv/core';
import {
  MemoryStorage, configurationOf, deltaRunFits, emptySnapshotMeta, fail, foldChunkChecksums, isHardStateEqual, isSameSnapshot,
  legacySnapshotChunks, snapshotDeltaRatioDefault,
} from '@raft-kv/core';
import { LongestSteps } from '../host/longest-steps';
import type { Logger } from '../logger';
import { FileRemover } from './file-remover';
import type { WalRecord } from './record';
import { batchRecord, hardStateRecord } from './record';
import type { SnapshotManifest } from './snapshot-file';
import {
  SnapshotData, chunkFrameChecksum, dataFileName, encodeChunkFrame, incomingDataFileName, incomingMetaFileName, isLegacy, manifestFiles, readChunkFrame,
  readManifest, removeStaleDataFiles, scanChunkFrames, staleDataFiles, writeFileAtomically, writeManifest, writeManifestAsync,
} from './snapshot-file';
import { Wal } from './wal';
import { writeBack } from './write-back';

export interface DiskStorageOptions {
  fsync: boolean;
  segmentBytesMax: number;
  /** Write the WAL into segments made ahead, full of zeros (default: when fsync is on; wal-spare.ts says why). */
  preallocate?: boolean;
  logger: Logger;
  /** Where the synchronous snapshot steps are timed (the node shares one with its host). */
  steps?: LongestSteps;
  /**
   * Write a snapshot as a delta run (only the keys changed since the last one) while the delta
   * runs already on disk add up to less than this many times the whole state's file; otherwise
   * write the whole state again (core's deltaRunFits). 0: always the whole state. Default
   * snapshotDeltaRatioDefault.
   */
  deltaRatio?: number;
}

/** What one Ready asks to persist (core's Ready has these fields). */
export interface PersistBatch {
  snapshotChunks: readonly SnapshotChunk[];
  snapshot: SnapshotMeta | null;
  hardState: HardState | null;
  entries: readonly Entry[];
  /** False when only the commit index changed: that may be written lazily, without an fsync. */
  mustSync: boolean;
}

/** A snapshot being received: its meta, the open chunk file, and where each chunk starts. */
interface Incoming {
  meta: SnapshotMeta;
  fd: number;
  offsets: number[];
  size: number;
}

type Done = (err: Error | null) => void;

/** Where a snapshot of our own state goes in the log, and, for a delta run, the snapshot it is added to. */
type SnapshotTarget = Pick<SnapshotSource, 'index' | 'term' | 'config' | 'retainEntries'> & { deltaFrom?: number };

/** What a snapshot file (a base or a delta run) holds once written: where each frame starts, the file's size, each chunk's CRC-32. */
interface WrittenChunks {
  offsets: number[];
  bytes: number;
  checksums: number[];
}

/** One more frame was written at the end of the file. */
function noteFrame(written: WrittenChunks, frame: Buffer): void {
  written.offsets.push(written.bytes);
  written.bytes += frame.length;
  written.checksums.push(chunkFrameChecksum(frame));
}

/** A file of these frames, back to back. */
function framesWritten(frames: readonly Buffer[]): WrittenChunks {
  const written: WrittenChunks = { offsets: [], bytes: 0, checksums: [] };
  for (const frame of frames) noteFrame(written, frame);
  return written;
}


export class DiskStorage implements ReplicaStorage {
  /** The log as the core reads it: an in-memory copy of what is on disk, with MemoryStorage's semantics. */
  private readonly memory: MemoryStorage;
  private walFrom: number;
  /** The hard state as the WAL has it (the commit index may lag behind the in-memory one). */
  private walHardState: HardState;
  private durableState: DurableState;
  /** The current snapshot's data (null for the empty snapshot). */
  private data: SnapshotData | null;
  /** The current manifest (the runs a delta is added to). */
  private manifest: SnapshotManifest;
  private incoming: Incoming | null;
  private closed = false;
  private readonly steps: LongestSteps;
  /**
   * The manifest of a snapshot we took, being written off the event loop (writeSnapshot). A
   * snapshot received meanwhile waits for it (persistAsync): both write the manifest, and the
   * newer must land last.
   */
  private manifestWrite: Promise<void> | null = null;

  private constructor(
    readonly dir: string,
    private readonly wal: Wal,
    private readonly remover: FileRemover,
    private readonly options: DiskStorageOptions,
    state: { manifest: SnapshotManifest; hardState: HardState; log: Entry[]; incoming: Incoming | null },
  ) {
    const { manifest } = state;
    this.memory = MemoryStorage.restore(manifest.meta, null, manifest.logBase, state.log, state.hardState);
    this.walFrom = manifest.walFrom;
    this.walHardState = state.hardState;
    this.manifest = manifest;
    this.data = manifest.dataFile === null ? null : new SnapshotData(dir, manifest);
    this.incoming = state.incoming;
    this.durableState = this.staged();
    this.steps = options.steps ?? new LongestSteps();
  }

  static open(dir: string, voters: string[], options: DiskStorageOptions): DiskStorage {
    fs.mkdirSync(dir, { recursive: true });
    const manifest = openManifest(dir, voters, options);
    removeStaleDataFiles(dir, manifestFiles(manifest));
    // One remover for the directory: old data files and covered segments are deleted in one queue.
    const remover = new FileRemover(options.logger);
    const { wal, replay } = Wal.open(dir, manifest.walFrom, manifest.logBase.index, { ...options, preallocate: options.preallocate ?? options.fsync, remover });
    const incoming = openIncoming(dir, manifest.meta, options);
    const storage = new DiskStorage(dir, wal, remover, options, { manifest, hardState: replay.hardState, log: replay.entries, incoming });
    const snap = manifest.meta;
    options.logger.info(
      `[storage] opened ${dir}: snapshot index=${snap.index} term=${snap.term} (${snap.chunkCount} chunks, ${snap.bytes} bytes` +
        `${manifest.deltas.length > 0 ? `, ${manifest.deltas.length} delta runs` : ''}), ` +
        `entries ${storage.firstIndex()}..${storage.lastIndex()}, term=${replay.hardState.term} vote=${replay.hardState.vote ?? '-'} ` +
        `commit=${replay.hardState.commit}${incoming ? `; resuming the snapshot at ${incoming.meta.index} from a leader (${incoming.offsets.length} of ${incoming.meta.chunkCount} chunks)` : ''}`,
    );
    return storage;
  }

  // ---- Storage (read by the core, from memory; snapshot chunks from disk) -------------------------

  initialState(): InitialState {
    const incoming: IncomingSnapshot | null = this.incoming ? { meta: this.incoming.meta, received: this.incoming.offsets.length } : null;
    // The manifest always holds a membership, the initial one before any snapshot: the disk's
    // wins over whatever voters the environment gives on a restart.
    return { ...this.memory.initialState(), config: this.memory.snapshot().config, incoming };
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

  snapshot(): SnapshotMeta {
    return this.memory.snapshot();
  }

  snapshotChunk(chunk: number): string {
    if (!this.data) fail(`snapshotChunk: there is no snapshot data (chunk ${chunk})`);
    return this.data.chunk(chunk);
  }

  incomingChunk(chunk: number): string {
    const incoming = this.incoming;
    const offset = incoming?.offsets[chunk];
    if (!incoming || offset === undefined) fail(`incomingChunk: no chunk ${chunk} received`);
    return readChunkFrame(incoming.fd, path.join(this.dir, incomingDataFileName), offset);
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
    return { term: hs.term, vote: hs.vote, commit: hs.commit, lastIndex: this.lastIndex(), snapshotIndex: this.memory.snapshot().index };
  }

  // ---- writes (by the node host, while handling a Ready) -------------------------------------------

  /**
   * Makes a commit-only Ready durable at once (see isNoop). Term and vote are durable before any
   * answer goes out (one vote per term, even across a crash). A change of the commit index alone
   * (mustSync false) is not written on its own: the commit index is volatile in the paper, the core
   * clamps what it reads after a restart and learns the rest from the leader, so it rides along
   * with the next entries or vote instead.
   */
  persist(batch: PersistBatch): void {
    if (batch.snapshotChunks.length > 0) fail('persist: snapshot chunks are written with persistAsync');
    this.wal.append(this.stage(batch));
    this.durableState = this.staged();
  }

  /**
   * Makes a Ready durable off the event loop, in order: the snapshot chunks received (fsynced), the
   * installation of a snapshot received in full, then the hard state and entries in one WAL write.
   * `done` runs once all of it is durable.
   */
  persistAsync(batch: PersistBatch, done: Done): void {
    this.writeIncomingChunks(batch.snapshotChunks, (err) => {
      if (err) return done(err);
      const pending = batch.snapshot ? this.manifestWrite : null;
      // The core persists one Ready at a time, so no later batch can overtake this one meanwhile.
      if (pending) return void pending.then(() => this.stageAndAppend(batch, done));
      this.stageAndAppend(batch, done);
    });
  }

  private stageAndAppend(batch: PersistBatch, done: Done): void {
    let records: WalRecord[];
    try {
      records = batch.snapshot ? this.steps.time('snapshotCommit', () => this.stage(batch)) : this.stage(batch);
    } catch (e) {
      return done(e as Error);
    }
    const after = this.staged();
    this.wal.appendAsync(records, (walErr) => {
      if (!walErr) this.durableState = after;
      done(walErr);
    });
  }

  /** True when persisting `batch` writes nothing (so the Ready can go on at once). */
  static isNoop(batch: PersistBatch): boolean {
    return !batch.mustSync && batch.snapshotChunks.length === 0 && batch.snapshot === null && batch.entries.length === 0;
  }

  /** Installs a snapshot, updates the in-memory log and hard state, and returns the WAL records to write. */
  private stage(batch: PersistBatch): WalRecord[] {
    if (batch.snapshot) this.installIncoming(batch.snapshot);
    const records: WalRecord[] = [];
    const stored = this.memory.append(batch.entries);
    if (stored.length > 0) records.push(batchRecord(stored));
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
   * Appends received chunks to the incoming file; chunk 0 starts a new file (a new snapshot). One
   * write may hold the chunks of two snapshots (a whole one and the start of the next, received
   * while the disk was busy): a chunk 0 replaces what came before it, so only the chunks from the
   * last chunk 0 on are written.
   */
  private writeIncomingChunks(received: readonly SnapshotChunk[], done: Done): void {
    if (received.length === 0) return done(null);
    const lastStart = received.map((c) => c.chunk).lastIndexOf(0);
    const chunks = lastStart > 0 ? received.slice(lastStart) : received;
    try {
      if (chunks[0]!.chunk === 0) this.startIncoming(chunks[0]!.meta);
    } catch (err) {
      return done(err as Error);
    }
    const incoming = this.incoming;
    if (!incoming) return done(new Error('snapshot chunks without chunk 0'));
    const frames: Buffer[] = [];
    for (const c of chunks) {
      if (!isSameSnapshot(c.meta, incoming.meta) || c.chunk !== incoming.offsets.length + frames.length) {
        return done(new Error(`chunk ${c.chunk} of the snapshot at ${c.meta.index} does not follow what was received`));
      }
      frames.push(encodeChunkFrame(c.data));
    }
    const data = frames.length === 1 ? frames[0]! : Buffer.concat(frames);
    writeAll(incoming.fd, data, incoming.size, (err) => {
      if (err) return done(err);
      const finish = (syncErr: Error | null) => {
        if (syncErr) return done(syncErr);
        let at = incoming.size;
        for (const frame of frames) {
          incoming.offsets.push(at);
          at += frame.length;
        }
        incoming.size = at;
        done(null);
      };
      if (this.options.fsync) fs.fdatasync(incoming.fd, finish);
      else finish(null);
    });
  }

  private startIncoming(meta: SnapshotMeta): void {
    this.dropIncoming();
    writeFileAtomically(this.dir, incomingMetaFileName, JSON.stringify({ meta }), this.options.fsync);
    const fd = fs.openSync(path.join(this.dir, incomingDataFileName), 'w');
    this.incoming = { meta, fd, offsets: [], size: 0 };
  }

  private dropIncoming(): void {
    if (!this.incoming) return;
    fs.closeSync(this.incoming.fd);
    this.incoming = null;
    fs.rmSync(path.join(this.dir, incomingMetaFileName), { force: true });
    fs.rmSync(path.join(this.dir, incomingDataFileName), { force: true });
  }

  /**
   * A snapshot received in full replaces the whole log. Its chunk file becomes the data file and
   * the new log starts in a fresh WAL segment; the manifest names both, so a crash before its
   * rename keeps the old state and a crash after it ignores (and deletes) the old segments.
   */
  private installIncoming(meta: SnapshotMeta): void {
    const incoming = this.incoming;
    if (!incoming || !isSameSnapshot(incoming.meta, meta) || incoming.offsets.length !== meta.chunkCount) {
      fail(`installIncoming: the snapshot at ${meta.index} was not received in full`);
    }
    const current = this.memory.snapshot().index;
    if (meta.index <= current) fail(`installIncoming: ${meta.index} is not newer than ${current}`);
    const dataFile = dataFileName(meta);
    fs.closeSync(incoming.fd);
    this.incoming = null;
    fs.renameSync(path.join(this.dir, incomingDataFileName), path.join(this.dir, dataFile));
    const walFrom = this.wal.rotate();
    const logBase = { index: meta.index, term: meta.term };
    this.commitManifest({ meta, walFrom, logBase, dataFile, chunkOffsets: incoming.offsets, deltas: [] });
    fs.rmSync(path.join(this.dir, incomingMetaFileName), { force: true });
    this.wal.dropSegmentsBefore(walFrom);
    this.memory.replaceWithSnapshot(meta, null);
    this.walFrom = walFrom;
  }

  /** Writes the manifest, then switches to its data file and deletes the others. */
  private commitManifest(manifest: SnapshotManifest): void {
    writeManifest(this.dir, manifest, this.options.fsync);
    this.useManifest(manifest);
  }

  /** The manifest is durable: chunks are read from its data files, and the other data files go. */
  private useManifest(manifest: SnapshotManifest): void {
    this.data?.close();
    this.manifest = manifest;
    this.data = manifest.dataFile === null ? null : new SnapshotData(this.dir, manifest);
    this.remover.remove(staleDataFiles(this.dir, manifestFiles(manifest)));
  }

  /**
   * Whether a snapshot at `source` goes to disk as a delta run: the source offers one on top of
   * exactly the snapshot we hold, and the runs so far leave room for it (deltaRunFits).
   */
  private deltaFor(source: SnapshotSource): KvDeltaReader | null {
    const delta = source.delta;
    const m = this.manifest;
    // No data file (the empty snapshot at index 0) means no bytes of base: deltaRunFits says no.
    if (!delta || delta.from !== m.meta.index) return null;
    const deltas = m.deltas.reduce((n, d) => n + d.bytes, 0);
    return deltaRunFits({ base: m.meta.bytes - deltas, deltas }, this.options.deltaRatio ?? snapshotDeltaRatioDefault) ? delta : null;
  }

  /**
   * Writes a snapshot of the node's own state in the background: chunks from the frozen view, one
   * asynchronous write each, then fsync, rename, the manifest, and only then the compaction of the
   * log (memory and WAL segments) up to `index - retainEntries`. `done(err, written)`: written is
   * false when the snapshot was given up (the storage closed, or a newer one arrived meanwhile).
   */
  writeSnapshot(source: SnapshotSource, done: (err: Error | null, written: boolean) => void): void {
    const delta = this.deltaFor(source);
    const reader = delta ?? source.reader;
    const target: SnapshotTarget = { ...source, ...(delta ? { deltaFrom: delta.from } : {}) };
    const name = dataFileName(source);
    const file = path.join(this.dir, name);
    const tmp = `${file}.tmp`;
    let fd: number;
    try {
      fd = fs.openSync(tmp, 'w');
    } catch (err) {
      return done(err as Error, false);
    }
    const written: WrittenChunks = { offsets: [], bytes: 0, checksums: [] };
    // Flushed as it goes, so the WAL's synced appends never queue behind the whole file.
    const flushed = this.options.fsync ? writeBack(fd) : null;
    const giveUp = (err: Error | null): void => {
      fs.close(fd, () => fs.rm(tmp, { force: true }, () => done(err, false)));
    };
    const next = (): void => {
      if (this.closed) return giveUp(null);
      let frame: Buffer | null;
      try {
        frame = this.steps.time('snapshotChunk', () => {
          const chunk = reader.next();
          return chunk === null ? null : encodeChunkFrame(chunk);
        });
      } catch (err) {
        return giveUp(err as Error);
      }
      if (frame === null) return finish();
      const framed = frame;
      writeAll(fd, framed, written.bytes, (err) => {
        if (err) return giveUp(err);
        noteFrame(written, framed);
        if (!flushed) return next();
        flushed(framed.length, (syncErr) => (syncErr ? giveUp(syncErr) : next()));
      });
    };
    const finish = (): void => {
      const closeAndCommit = (syncErr: Error | null): void => {
        if (syncErr) return giveUp(syncErr);
        fs.close(fd, (closeErr) => {
          if (closeErr) return done(closeErr, false);
          this.commitWrittenSnapshot(target, name, tmp, written, done);
        });
      };
      if (this.options.fsync) fs.fdatasync(fd, closeAndCommit);
      else closeAndCommit(null);
    };
    next();
  }

  /**
   * The data file is durable: name it in the manifest and compact. False when it is no longer
   * wanted. Synchronous, for createSnapshot; the node's own snapshots go through commitWrittenSnapshot.
   */
  private adoptWrittenSnapshot(source: SnapshotTarget, name: string, tmp: string, written: WrittenChunks): boolean {
    const manifest = this.manifestForWritten(source, name, tmp, written);
    if (!manifest) return false;
    fs.renameSync(tmp, path.join(this.dir, name));
    writeManifest(this.dir, manifest, this.options.fsync);
    this.switchToWritten(manifest, source);
    return true;
  }

  /**
   * adoptWrittenSnapshot with its disk work off the event loop: the data file's rename and the
   * manifest's write and fsyncs run on the thread pool (at 1M keys, with three nodes' WALs writing,
   * those fsyncs held the event loop for up to 94 ms), and only the switch to the new data file and
   * the compaction, after the manifest is durable, run on the event loop (the snapshotCommit step).
   * A crash in between leaves the previous manifest, which still names every file it needs.
   */
  private commitWrittenSnapshot(source: SnapshotTarget, name: string, tmp: string, written: WrittenChunks, done: (err: Error | null, written: boolean) => void): void {
    let manifest: SnapshotManifest | null;
    try {
      manifest = this.manifestForWritten(source, name, tmp, written);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      return done(err as Error, false);
    }
    if (!manifest) return done(null, false);
    const adopted = manifest;
    if (this.manifestWrite) fail('commitWrittenSnapshot: a manifest is already being written');
    const write = (async () => {
      await fsp.rename(tmp, path.join(this.dir, name));
      await writeManifestAsync(this.dir, adopted, this.options.fsync);
    })();
    // Never rejects: the failure is reported once, through done, below. A received snapshot waits
    // on this chain, which settles two steps after `write` does, so the handlers below (on `write`
    // itself) have run by then: the switch to this snapshot comes before that install.
    this.manifestWrite = write.then(() => undefined, () => undefined).finally(() => {
      this.manifestWrite = null;
    });
    write.then(() => {
      // Closed meanwhile: the manifest on disk is whole, and the next open starts from it.
      if (this.closed) return done(null, false);
      try {
        this.steps.time('snapshotCommit', () => this.switchToWritten(adopted, source));
      } catch (err) {
        return done(err as Error, false);
      }
      done(null, true);
    }, (err: unknown) => {
      fs.rm(tmp, { force: true }, () => done(err as Error, false));
    });
  }

  /**
   * The manifest that names a snapshot of our own state, or null (and the file deleted) when it is
   * no longer wanted: the storage closed, or a snapshot received from a leader replaced the log
   * while this one was written.
   */
  private manifestForWritten(source: SnapshotTarget, name: string, tmp: string, written: WrittenChunks): SnapshotManifest | null {
    const current = this.manifest;
    // A delta run counts only on top of the snapshot it was read against.
    const baseMoved = source.deltaFrom !== undefined && source.deltaFrom !== current.meta.index;
    if (this.closed || baseMoved || source.index <= current.meta.index || this.memory.term(source.index) !== source.term) {
      fs.rmSync(tmp, { force: true });
      return null;
    }
    const logBaseIndex = Math.max(this.memory.firstIndex() - 1, source.index - source.retainEntries);
    const logBase = { index: logBaseIndex, term: this.memory.term(logBaseIndex)! };
    const position = { index: source.index, term: source.term, config: source.config };
    const { offsets, bytes } = written;
    if (source.deltaFrom === undefined) {
      return { meta: { ...position, chunkCount: offsets.length, bytes, digest: foldChunkChecksums(written.checksums) }, walFrom: this.walFrom, logBase, dataFile: name, chunkOffsets: offsets, deltas: [] };
    }
    const run = { file: name, chunkOffsets: offsets, bytes, from: source.deltaFrom, index: source.index };
    // The run's chunks follow the base's and earlier runs': the digest goes on from theirs.
    const meta: SnapshotMeta = {
      ...position, chunkCount: current.meta.chunkCount + offsets.length, bytes: current.meta.bytes + bytes, digest: foldChunkChecksums(written.checksums, current.meta.digest),
    };
    return { ...current, meta, walFrom: this.walFrom, logBase, deltas: [...current.deltas, run] };
  }

  /** After its manifest is durable: read chunks from the new data file, delete the old ones, compact the log. */
  private switchToWritten(manifest: SnapshotManifest, source: SnapshotTarget): void {
    this.useManifest(manifest);
    this.memory.adoptSnapshot(manifest.meta, null, manifest.logBase.index);
    this.wal.compactTo(manifest.logBase.index);
    this.durableState = { ...this.durableState, snapshotIndex: source.index };
  }

  /**
   * Records a snapshot at once (tests and tools): the whole of `chunks` written synchronously.
   * The node uses writeSnapshot.
   */
  createSnapshot(index: number, chunks: readonly string[], config: Configuration, retainEntries: number): SnapshotMeta {
    const term = this.memory.term(index);
    if (term === undefined) fail(`createSnapshot: no entry at ${index}`);
    if (index <= this.memory.snapshot().index) fail(`createSnapshot: ${index} is not newer than ${this.memory.snapshot().index}`);
    const name = dataFileName({ index, term });
    const tmp = path.join(this.dir, `${name}.tmp`);
    const frames = chunks.map(encodeChunkFrame);
    const written = framesWritten(frames);
    fs.writeFileSync(tmp, Buffer.concat(frames));
    if (this.options.fsync) fsyncFile(tmp);
    if (!this.adoptWrittenSnapshot({ index, term, config, retainEntries }, name, tmp, written)) fail(`createSnapshot: the snapshot at ${index} was not taken`);
    return this.memory.snapshot();
  }

  walSegmentFiles(): string[] {
    return this.wal.segmentFiles();
  }

  /**
   * Resolves once the work the storage does in the background has ended: a spare WAL segment being
   * made, files being deleted, a manifest being written (after close(): once nothing touches the
   * directory any more).
   */
  async settled(): Promise<void> {
    await Promise.all([this.wal.spareSettled(), this.remover.settled(), this.manifestWrite]);
  }

  close(): void {
    this.closed = true;
    this.wal.close();
    this.data?.close();
    this.data = null;
    if (this.incoming) fs.closeSync(this.incoming.fd);
    this.incoming = null;
  }
}

/**
 * The manifest; on the first open, a fresh one holding the initial membership (`voters`), written
 * at once so that later starts take the membership from the disk, not from their environment. A
 * format-1 snapshot.json is rewritten in chunks first.
 */
function openManifest(dir: string, voters: string[], options: DiskStorageOptions): SnapshotManifest {
  const found = readManifest(dir);
  if (found === null) {
    const fresh: SnapshotManifest = { meta: emptySnapshotMeta(configurationOf(voters)), walFrom: 1, logBase: { index: 0, term: 0 }, dataFile: null, chunkOffsets: [], deltas: [] };
    writeManifest(dir, fresh, options.fsync);
    return fresh;
  }
  if (!isLegacy(found)) return found;
  const chunks = legacySnapshotChunks(found.data);
  const frames = chunks.map(encodeChunkFrame);
  const written = framesWritten(frames);
  const meta: SnapshotMeta = {
    index: found.meta.index, term: found.meta.term, config: configurationOf(found.meta.voters), chunkCount: chunks.length, bytes: chunks.reduce((n, c) => n + c.length, 0),
    digest: foldChunkChecksums(written.checksums),
  };
  const dataFile = dataFileName(meta);
  fs.writeFileSync(path.join(dir, dataFile), Buffer.concat(frames));
  if (options.fsync) fsyncFile(path.join(dir, dataFile));
  const manifest: SnapshotManifest = { meta, walFrom: found.walFrom, logBase: { index: meta.index, term: meta.term }, dataFile, chunkOffsets: written.offsets, deltas: [] };
  writeManifest(dir, manifest, options.fsync);
  options.logger.info(`[storage] converted ${dir}/snapshot.json from format 1 (one JSON string) to chunks (${chunks.length})`);
  return manifest;
}

/** A snapshot being received when the node stopped, if it is still newer than the current one. */
function openIncoming(dir: string, current: SnapshotMeta, options: DiskStorageOptions): Incoming | null {
  const metaFile = path.join(dir, incomingMetaFileName);
  const dataFile = path.join(dir, incomingDataFileName);
  let meta: SnapshotMeta | null;
  try {
    meta = (JSON.parse(fs.readFileSync(metaFile, 'utf8')) as { meta: SnapshotMeta }).meta;
  } catch {
    meta = null;
  }
  if (!meta || !Number.isSafeInteger(meta.index) || meta.index <= current.index || !fs.existsSync(dataFile)) {
    fs.rmSync(metaFile, { force: true });
    fs.rmSync(dataFile, { force: true });
    return null;
  }
  const { offsets, end } = scanChunkFrames(dataFile);
  const kept = offsets.slice(0, meta.chunkCount);
  const size = kept.length < offsets.length ? offsets[kept.length]! : end;
  if (size < fs.statSync(dataFile).size) {
    options.logger.warn(`[storage] cutting a torn chunk off the snapshot being received (${fs.statSync(dataFile).size - size} bytes)`);
    fs.truncateSync(dataFile, size);
  }
  const fd = fs.openSync(dataFile, 'r+');
  return { meta, fd, offsets: kept, size };
}

function writeAll(fd: number, data: Buffer, position: number, done: Done): void {
  let written = 0;
  const step = (): void => {
    fs.write(fd, data, written, data.length - written, position + written, (err, n) => {
      if (err) return done(err);
      written += n;
      if (written < data.length) return step();
      done(null);
    });
  };
  step();
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
