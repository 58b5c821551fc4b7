/**
 * The write-ahead log: numbered segment files `wal-<seq>.log` of checksummed records (record.ts).
 * A hard-state record replaces the previous one; an entry record at index i replaces every held
 * entry at or after i (a new leader overwrote them) and appends. Replaying the records in order
 * therefore rebuilds the log exactly as it was written. Each segment starts with the hard state
 * current when it was opened, so old segments can be deleted once a snapshot covers their entries.
 *
 * With `preallocate`, a new segment is a file already full of zeros (wal-spare.ts) that records
 * overwrite from the start: a segment's records then end where its zero tail begins.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Entry, HardState } from '@raft-kv/core';
import { emptyHardState } from '@raft-kv/core';
import type { Logger } from '../logger';
import type { FileRemover } from './file-remover';
import type { WalRecord } from './record';
import { decodeRecord, encodeRecord, hardStateRecord, hasValidRecordAfter, recordEntries, recordLastIndex } from './record';
import { fsyncDir } from './snapshot-file';
import { SpareSegment, spareFileName } from './wal-spare';

export class CorruptWalError extends Error {
  override name = 'CorruptWalError';
  constructor(readonly file: string, readonly offset: number, reason: string) {
    super(`WAL corrupt in ${file} at offset ${offset}: ${reason}; refusing to start (repair or remove the data directory)`);
  }
}

interface Segment {
  seq: number;
  file: string;
  /** Highest entry index written in this segment (0 if none). */
  maxIndex: number;
}

export interface WalOptions {
  fsync: boolean;
  segmentBytesMax: number;
  /** Write into segments made ahead of time, full of zeros (only worth it with fsync; see wal-spare.ts). */
  preallocate: boolean;
  logger: Logger;
  /** Deletes the segments a snapshot made useless, off the event loop (the storage's, shared with its data files). */
  remover: FileRemover;
}

export interface ReplayResult {
  hardState: HardState;
  /** Entries after `baseIndex`, contiguous. */
  entries: Entry[];
}

const segmentName = (seq: number): string => `wal-${String(seq).padStart(10, '0')}.log`;
const segmentPattern = /^wal-(\d{10})\.log$/;

export class Wal {
  private segments: Segment[] = [];
  private fd = -1;
  private size = 0;
  private lastHardState: HardState = emptyHardState();
  /** The next segment, made ahead (null without preallocation). */
  private readonly spare: SpareSegment | null;
  /** The active segment's blocks past `size` are written already (zeros): appends do not grow it. */
  private activePreallocated = false;

  private constructor(private readonly dir: string, private readonly options: WalOptions) {
    this.spare = options.preallocate ? new SpareSegment(dir, options.segmentBytesMax, options.logger) : null;
  }

  /**
   * Opens the log in `dir`, replaying every segment numbered `walFrom` or later over a snapshot
   * at `baseIndex`. Segments before `walFrom` belong to a log an installed snapshot replaced and are
   * deleted. A torn or corrupt last record is cut off with a log line; damage anywhere else throws
   * CorruptWalError naming the file and offset.
   */
  static open(dir: string, walFrom: number, baseIndex: number, options: WalOptions): { wal: Wal; replay: ReplayResult } {
    // A spare left by a crash: how far its zeros got is unknown.
    fs.rmSync(path.join(dir, spareFileName), { force: true });
    const wal = new Wal(dir, options);
    const { end, ...replay } = wal.replay(walFrom, baseIndex);
    wal.lastHardState = replay.hardState;
    const active = wal.segments[wal.segments.length - 1];
    if (active) {
      wal.fd = fs.openSync(active.file, wal.openFlags(false));
      wal.size = end;
      wal.activePreallocated = fs.fstatSync(wal.fd).size > end;
    } else {
      wal.createSegment(Math.max(1, walFrom));
    }
    wal.prepareSpareWhenDue();
    return { wal, replay };
  }

  private listSegments(walFrom: number): Segment[] {
    const found: Segment[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      const match = segmentPattern.exec(name);
      if (!match) continue;
      const seq = Number(match[1]);
      const file = path.join(this.dir, name);
      if (seq < walFrom) {
        // Replaced by an installed snapshot; the crash came between writing the snapshot and deleting these.
        fs.rmSync(file);
        continue;
      }
      found.push({ seq, file, maxIndex: 0 });
    }
    return found.sort((a, b) => a.seq - b.seq);
  }

  /** Rebuilds the log from the segments; `end` is where the last segment's records end. */
  private replay(walFrom: number, baseIndex: number): ReplayResult & { end: number } {
    this.segments = this.listSegments(walFrom);
    let hardState = emptyHardState();
    const entries: Entry[] = [];
    let end = 0;
    this.segments.forEach((segment, i) => {
      const isLast = i === this.segments.length - 1;
      const { records, end: segmentEnd } = this.readSegment(segment, isLast);
      end = segmentEnd;
      for (const { record, offset } of records) {
        if (record.t === 'h') {
          hardState = { term: record.term, vote: record.vote, commit: record.commit };
          continue;
        }
        segment.maxIndex = Math.max(segment.maxIndex, recordLastIndex(record));
        // Entries from index i on replace whatever was held there (a new leader overwrote them).
        const held = baseIndex + entries.length;
        if (record.i <= held) entries.length = Math.max(0, record.i - baseIndex - 1);
        if (record.i > baseIndex + entries.length + 1) {
          throw new CorruptWalError(segment.file, offset, `entry ${record.i} does not follow ${baseIndex + entries.length}`);
        }
        for (const entry of recordEntries(record)) if (entry.index > baseIndex) entries.push(entry);
      }
    });
    return { hardState, entries, end };
  }

  /**
   * Reads one segment's records and where they end: at the end of the file, or where its zero
   * tail (a preallocated segment's unused part) begins. Cuts a torn tail off the last segment.
   */
  private readSegment(segment: Segment, isLast: boolean): { records: { record: WalRecord; offset: number }[]; end: number } {
    const buf = fs.readFileSync(segment.file);
    const out: { record: WalRecord; offset: number }[] = [];
    let offset = 0;
    while (true) {
      const result = decodeRecord(buf, offset);
      if (result.kind === 'end' || (result.kind === 'invalid' && isZeroFrom(buf, offset))) return { records: out, end: offset };
      if (result.kind === 'record') {
        out.push({ record: result.record, offset });
        offset = result.next;
        continue;
      }
      if (!isLast || hasValidRecordAfter(buf, offset)) throw new CorruptWalError(segment.file, offset, result.reason);
      this.options.logger.warn(
        `[wal] dropping torn or corrupt last record in ${segment.file} at offset ${offset} (${result.reason}, ${buf.length - offset} bytes); keeping the ${out.length} records before it`,
      );
      // Cut at the last good record (a preallocated segment's zeros go too: it is then a growing one).
      fs.truncateSync(segment.file, offset);
      if (this.options.fsync) fsyncFile(segment.file);
      return { records: out, end: offset };
    }
  }

  /**
   * Appends records in one write; durable when it returns (segments are opened with O_DSYNC when
   * fsync is on, which costs one system call instead of write + fdatasync).
   */
  append(records: WalRecord[]): void {
    if (records.length === 0) return;
    this.switchToSpareWhenReady();
    const data = this.encode(records);
    writeFully(this.fd, data, this.size);
    this.appended(data.length);
  }

  /**
   * The same, off the event loop (libuv's thread pool), so that while the disk works the node
   * goes on taking requests, which then share the next write (group commit). The caller starts
   * no other write before this one finished.
   */
  appendAsync(records: WalRecord[], done: (err: Error | null) => void): void {
    if (records.length === 0) return done(null);
    try {
      this.switchToSpareWhenReady();
    } catch (e) {
      return done(e as Error);
    }
    const data = this.encode(records);
    const fd = this.fd;
    const position = this.size;
    let written = 0;
    const next = (): void => {
      fs.write(fd, data, written, data.length - written, position + written, (err, n) => {
        if (err) return done(err);
        written += n;
        if (written < data.length) return next();
        try {
          this.appended(data.length);
        } catch (e) {
          return done(e as Error);
        }
        done(null);
      });
    };
    next();
  }

  private encode(records: WalRecord[]): Buffer {
    const active = this.segments[this.segments.length - 1]!;
    const bufs: Buffer[] = [];
    for (const record of records) {
      bufs.push(encodeRecord(record));
      if (record.t === 'h') this.lastHardState = { term: record.term, vote: record.vote, commit: record.commit };
      else active.maxIndex = Math.max(active.maxIndex, recordLastIndex(record));
    }
    return bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs);
  }

  private appended(bytes: number): void {
    this.size += bytes;
    if (this.size >= this.options.segmentBytesMax) this.rotate();
    // Only here for a preallocated segment: a growing one asked at open or rotation, and asking
    // again on every write would retry a spare that failed (a full disk) once per write.
    else if (this.activePreallocated) this.prepareSpareWhenDue();
  }

  /**
   * Starts making the next spare when it is due: at once for a growing segment (it gives way to the
   * spare), once a preallocated one is half full (a node that lives short, or restarts, writes none
   * it does not need).
   */
  private prepareSpareWhenDue(): void {
    if (!this.activePreallocated || this.size * 2 >= this.options.segmentBytesMax) this.spare?.prepare();
  }

  /** Flags for segment files: synchronous data writes when fsync is on. */
  private openFlags(create: boolean): number {
    const c = fs.constants;
    return c.O_RDWR | (create ? c.O_CREAT | c.O_TRUNC : 0) | (this.options.fsync ? c.O_DSYNC : 0);
  }

  /** A growing active segment gives way to a preallocated one as soon as one is ready (between writes). */
  private switchToSpareWhenReady(): void {
    if (!this.activePreallocated && this.spare?.ready) this.rotate();
  }

  /** Starts a new segment (headed by the current hard state) and returns its number. */
  rotate(): number {
    const next = this.segments[this.segments.length - 1]!.seq + 1;
    fs.closeSync(this.fd);
    if (this.spare?.ready) this.takeSpare(next);
    else this.createSegment(next);
    this.prepareSpareWhenDue();
    return next;
  }

  /** The ready spare becomes segment `seq`, its header written (durably) before it gets the name. */
  private takeSpare(seq: number): void {
    const file = path.join(this.dir, segmentName(seq));
    const header = encodeRecord(hardStateRecord(this.lastHardState));
    this.fd = this.spare!.take(file, header, this.openFlags(false));
    this.segments.push({ seq, file, maxIndex: 0 });
    this.size = header.length;
    this.activePreallocated = true;
    if (this.options.fsync) fsyncDir(this.dir);
  }

  /** A new segment that grows as it is written. */
  private createSegment(seq: number): void {
    const file = path.join(this.dir, segmentName(seq));
    this.fd = fs.openSync(file, this.openFlags(true));
    this.size = 0;
    this.segments.push({ seq, file, maxIndex: 0 });
    const header = encodeRecord(hardStateRecord(this.lastHardState));
    writeFully(this.fd, header, 0);
    this.size = header.length;
    this.activePreallocated = false;
    if (this.options.fsync) fsyncDir(this.dir);
  }

  /** Deletes segments before `seq` (their log was replaced by an installed snapshot). */
  dropSegmentsBefore(seq: number): void {
    this.removeSegments((s) => s.seq < seq);
  }

  /** Deletes closed segments whose entries are all covered by a snapshot at `index`. */
  compactTo(index: number): void {
    const active = this.segments[this.segments.length - 1]!;
    this.removeSegments((s) => s !== active && s.maxIndex <= index);
  }

  private removeSegments(shouldRemove: (s: Segment) => boolean): void {
    const removed = this.segments.filter(shouldRemove);
    if (removed.length === 0) return;
    this.segments = this.segments.filter((s) => !shouldRemove(s));
    this.options.remover.remove(removed.map((s) => s.file));
  }

  segmentFiles(): string[] {
    return this.segments.map((s) => s.file);
  }

  /** Resolves once no spare segment is being made. */
  spareSettled(): Promise<void> {
    return this.spare?.settled() ?? Promise.resolve();
  }

  close(): void {
    this.spare?.close();
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

const zeroBlock = Buffer.alloc(64 * 1024);

/** True when every byte of `buf` from `offset` on is zero. */
function isZeroFrom(buf: Buffer, offset: number): boolean {
  for (let at = offset; at < buf.length; at += zeroBlock.length) {
    const end = Math.min(buf.length, at + zeroBlock.length);
    if (!buf.subarray(at, end).equals(zeroBlock.subarray(0, end - at))) return false;
  }
  return true;
}

function writeFully(fd: number, data: Buffer, position: number): void {
  let written = 0;
  while (written < data.length) written += fs.writeSync(fd, data, written, data.length - written, position + written);
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
