/**
 * Where the host makes a Ready's WAL record durable: on the event loop (one O_DSYNC write that
 * blocks it) or in libuv's thread pool (the loop goes on meanwhile).
 *
 * Why both: a write handed to the thread pool costs two thread hand-offs, a worker's wake-up and
 * the loop's, and on a fast disk those cost more than the write. On this project's reference
 * machine (2 cores, a virtual disk that syncs a small write in about 0.16 ms) writing on the loop
 * cut the nodes' CPU per write by about 11% at 64 clients and halved their context switches
 * (docs/storage.md, "How a write reaches the disk"). On a slow disk the other way wins: while the
 * disk works, the loop takes the requests that the next write then carries.
 *
 * So the host writes on the loop while the disk is fast: while at most half of the last
 * `windowWrites` writes on the loop took over `syncMsMax` (a median, so that a few slow writes, behind
 * a snapshot's flush or waiting for a core, do not decide). Past that, writes go to the thread pool,
 * and at most once per `probeMs` one goes on the loop again to measure the disk, so a disk that got
 * fast again is noticed.
 */
import { assert } from '@raft-kv/core';

export class WalWriteMode {
  /** Whether each of the last writes on the loop was slow, oldest overwritten first. */
  private readonly slow: boolean[];
  private next = 0;
  private slowCount = 0;
  private lastProbeAt = Number.NEGATIVE_INFINITY;

  /**
   * @param syncMsMax a write on the loop that takes longer is slow; 0 never writes on the loop.
   * @param windowWrites how many of the latest writes on the loop decide.
   * @param probeMs how often, at most, one write goes on the loop to measure a disk found slow.
   */
  constructor(private readonly syncMsMax: number, windowWrites = 32, private readonly probeMs = 100) {
    assert(syncMsMax >= 0 && Number.isFinite(syncMsMax), `syncMsMax ${syncMsMax}`);
    assert(Number.isInteger(windowWrites) && windowWrites > 0, `windowWrites ${windowWrites}`);
    assert(probeMs > 0, `probeMs ${probeMs}`);
    this.slow = new Array<boolean>(windowWrites).fill(false);
  }

  /** Whether the next write should go on the loop, at time `now` (ms). */
  syncAt(now: number): boolean {
    if (this.syncMsMax === 0) return false;
    if (!this.diskSlow) return true;
    if (now - this.lastProbeAt < this.probeMs) return false;
    this.lastProbeAt = now;
    return true;
  }

  /** A write on the loop took `ms`. */
  tookSync(ms: number): void {
    assert(ms >= 0, `write took ${ms} ms`);
    const slow = ms > this.syncMsMax;
    this.slowCount += Number(slow) - Number(this.slow[this.next]);
    this.slow[this.next] = slow;
    this.next = (this.next + 1) % this.slow.length;
    assert(this.slowCount >= 0 && this.slowCount <= this.slow.length, `slowCount ${this.slowCount}`);
  }

  /** True when over half of the latest writes on the loop were slow. */
  get diskSlow(): boolean {
    return this.slowCount * 2 > this.slow.length;
  }
}
