/**
 * The write-ahead log: numbered segment files `wal-<seq>.log` of checksummed records (record.ts).
 * A hard-state record replaces the previous one; an entry record at index i replaces every held
 * entry at or after i (a new leader overwrote them) and appends. Replaying the records in order
 * therefore rebuilds the log exactly as it was written. Each segment starts with the hard state
 * current when it was opened, so old segments can be deleted once a snapshot covers their entries.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Entry, HardState } from '@raft-kv/core';
import { emptyHardState } from '@raft-kv/core';
import type { Logger } from '../logger';
import type { WalRecord } from './record';
import { decodeRecord, encodeRecord, hardStateRecord, hasValidRecordAfter, recordEntries, recordLastIndex } from './record';
import { fsyncDir } from './snapshot-file';

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
  logger: Logger;
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

  private constructor(private readonly dir: string, private readonly options: WalOptions) {}

  /**
   * Opens the log in `dir`, replaying every segment numbered `walFrom` or later over a snapshot
   * at `baseIndex`. Segments before `walFrom` belong to a log an installed snapshot replaced and are
   * deleted. A torn or corrupt last record is cut off with a log line; damage anywhere else throws
   * CorruptWalError naming the file and offset.
   */
  static open(dir: string, walFrom: number, baseIndex: number, options: WalOptions): { wal: Wal; replay: ReplayResult } {
    const wal = new Wal(dir, options);
    const replay = wal.replay(walFrom, baseIndex);
    wal.lastHardState = replay.hardState;
    const active = wal.segments[wal.segments.length - 1];
    if (active) {
      wal.fd = fs.openSync(active.file, wal.openFlags(false));
      wal.size = fs.fstatSync(wal.fd).size;
    } else {
      wal.createSegment(Math.max(1, walFrom));
    }
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

  private replay(walFrom: number, baseIndex: number): ReplayResult {
    this.segments = this.listSegments(walFrom);
    let hardState = emptyHardState();
    const entries: Entry[] = [];
    this.segments.forEach((segment, i) => {
      const isLast = i === this.segments.length - 1;
      const records = this.readSegment(segment, isLast);
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
    return { hardState, entries };
  }

  /** Reads one segment's records; cuts a torn tail off the last segment. */
  private readSegment(segment: Segment, isLast: boolean): { record: WalRecord; offset: number }[] {
    const buf = fs.readFileSync(segment.file);
    const out: { record: WalRecord; offset: number }[] = [];
    let offset = 0;
    while (true) {
      const result = decodeRecord(buf, offset);
      if (result.kind === 'end') return out;
      if (result.kind === 'record') {
        out.push({ record: result.record, offset });
        offset = result.next;
        continue;
      }
      if (!isLast || hasValidRecordAfter(buf, offset)) throw new CorruptWalError(segment.file, offset, result.reason);
      this.options.logger.warn(
        `[wal] dropping torn or corrupt last record in ${segment.file} at offset ${offset} (${result.reason}, ${buf.length - offset} bytes); keeping the ${out.length} records before it`,
      );
      fs.truncateSync(segment.file, offset);
      if (this.options.fsync) fsyncFile(segment.file);
      return out;
    }
  }

  /**
   * Appends records in one write; durable when it returns (segments are opened with O_DSYNC when
   * fsync is on, which costs one system call instead of write + fdatasync).
   */
  append(records: WalRecord[]): void {
    if (records.length === 0) return;
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
  }

  /** Flags for segment files: synchronous data writes when fsync is on. */
  private openFlags(create: boolean): number {
    const c = fs.constants;
    return c.O_RDWR | (create ? c.O_CREAT | c.O_TRUNC : 0) | (this.options.fsync ? c.O_DSYNC : 0);
  }

  /** Starts a new segment (headed by the current hard state) and returns its number. */
  rotate(): number {
    const next = this.segments[this.segments.length - 1]!.seq + 1;
    fs.closeSync(this.fd);
    this.createSegment(next);
    return next;
  }

  private createSegment(seq: number): void {
    const file = path.join(this.dir, segmentName(seq));
    this.fd = fs.openSync(file, this.openFlags(true));
    this.size = 0;
    this.segments.push({ seq, file, maxIndex: 0 });
    const header = encodeRecord(hardStateRecord(this.lastHardState));
    writeFully(this.fd, header, 0);
    this.size = header.length;
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
    for (const s of removed) fs.rmSync(s.file, { force: true });
    if (this.options.fsync) fsyncDir(this.dir);
  }

  segmentFiles(): string[] {
    return this.segments.map((s) => s.file);
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
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
