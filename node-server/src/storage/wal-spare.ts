/**
 * The WAL's next segment, made ahead of time: a file of zeros as long as a segment, written and
 * fsynced in the background (libuv's thread pool) while the active segment fills.
 *
 * Why: an O_DSYNC append that grows a file must also make the new size and block map durable,
 * which on ext4 is a commit of the file system's journal, one at a time for the whole file system
 * (three nodes on one disk wait for each other's). An append into blocks already written changes
 * no metadata, so its sync flushes only the data. etcd preallocates its WAL files for the same
 * reason (what it is worth: docs/storage.md, docs/benchmarks.md).
 *
 * Crash safety: the spare has no segment name until the WAL has written a segment header into it
 * (durably) and renamed it; a spare left by a crash is deleted at the next open (how far its
 * zeros got is unknown). Replay ends a segment at its zero tail (wal.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { assert } from '@raft-kv/core';
import type { Logger } from '../logger';
import { writeBack } from './write-back';

export const spareFileName = 'wal-spare.tmp';

/** Zeros are written this many bytes at a time. */
const zeroChunkBytes = 1024 * 1024;
let zeros: Buffer | null = null;

export class SpareSegment {
  private state: 'none' | 'preparing' | 'ready' = 'none';
  private closed = false;
  private settledWaiters: (() => void)[] = [];

  constructor(private readonly dir: string, private readonly bytes: number, private readonly logger: Logger) {
    assert(Number.isSafeInteger(bytes) && bytes > 0, `spare segment size ${bytes}`);
  }

  private get file(): string {
    return path.join(this.dir, spareFileName);
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  /** Starts making a spare, unless one is ready or being made. */
  prepare(): void {
    if (this.closed || this.state !== 'none') return;
    this.state = 'preparing';
    const file = this.file;
    const failed = (err: Error, fd: number | null): void => {
      if (fd !== null) fs.close(fd, () => {});
      this.state = 'none';
      // After close() another life of this WAL may own the path: only a live one removes the file.
      if (!this.closed) {
        this.logger.warn(`[wal] could not preallocate the next segment (${err.message}); segments grow as they are written until a later rotation succeeds`);
        fs.rm(file, { force: true }, () => this.settle());
      } else this.settle();
    };
    fs.open(file, 'w', (openErr, fd) => {
      if (openErr) return failed(openErr, null);
      zeros ??= Buffer.alloc(zeroChunkBytes);
      let written = 0;
      // Flushed as it goes, so the active segment's synced appends never queue behind the whole spare.
      const flushed = writeBack(fd);
      const finish = (): void => fs.fsync(fd, (syncErr) => {
        if (syncErr) return failed(syncErr, fd);
        fs.close(fd, (closeErr) => (closeErr ? failed(closeErr, null) : this.done()));
      });
      const next = (): void => {
        if (this.closed) return failed(new Error('closed'), fd);
        if (written >= this.bytes) return finish();
        fs.write(fd, zeros!, 0, Math.min(zeroChunkBytes, this.bytes - written), written, (writeErr, n) => {
          if (writeErr) return failed(writeErr, fd);
          written += n;
          // The last part is made durable by finish()'s fsync.
          if (written >= this.bytes) return next();
          flushed(n, (syncErr) => (syncErr ? failed(syncErr, fd) : next()));
        });
      };
      next();
    });
  }

  private done(): void {
    this.state = this.closed ? 'none' : 'ready';
    this.settle();
  }

  private settle(): void {
    for (const resolve of this.settledWaiters.splice(0)) resolve();
  }

  /**
   * Makes the ready spare the segment `target`: opens it with `flags`, writes `header` at its start
   * (durable once written when flags hold O_DSYNC), then renames it. Returns the open descriptor.
   */
  take(target: string, header: Buffer, flags: number): number {
    assert(this.state === 'ready', 'take() without a ready spare');
    const fd = fs.openSync(this.file, flags);
    let written = 0;
    while (written < header.length) written += fs.writeSync(fd, header, written, header.length - written, written);
    fs.renameSync(this.file, target);
    this.state = 'none';
    return fd;
  }

  /** Resolves once no spare is being made (it is ready, or there is none). */
  settled(): Promise<void> {
    if (this.state !== 'preparing') return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /** Stops making spares; one being made stops at its next write. */
  close(): void {
    this.closed = true;
  }
}
