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
 *
 * A record of several entries is held to a bound four times tighter (`syncMsMax / 4`, 0.5 ms by
 * default): several entries in one Ready mean clients are writing concurrently, and while the loop
 * is blocked in a write it cannot take their next requests, which the following write would carry.
 * Measured at 64 clients on a disk that synced in 1-2 ms, the pool gave 1.92-2.22x etcd's writes/s
 * where the loop gave 1.51-1.82x in the same runs; on the 0.16 ms disk above, the loop won. A
 * single entry (one client at a time) has nothing to overlap with: it stays on the loop up to
 * `syncMsMax`, where it waits least.
 */
import { assert } from '@raft-kv/core';

export class WalWriteMode {
  /** How long each of the last writes on the loop took, oldest overwritten first. */
  private readonly tookMs: Float64Array;
  private next = 0;
  /** How many of those took over syncMsMax, and over batchMsMax. */
  private slowCount = 0;
  private slowForBatchCount = 0;
  private readonly batchMsMax: number;
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
    this.batchMsMax = syncMsMax / 4;
    this.tookMs = new Float64Array(windowWrites);
  }

  /** Whether the next write, of a record holding `entries` entries, should go on the loop, at time `now` (ms). */
  syncAt(now: number, entries: number): boolean {
    if (this.syncMsMax === 0) return false;
    if (!(entries > 1 ? this.diskSlowForBatches : this.diskSlow)) return true;
    if (now - this.lastProbeAt < this.probeMs) return false;
    this.lastProbeAt = now;
    return true;
  }

  /** A write on the loop took `ms`. */
  tookSync(ms: number): void {
    assert(ms >= 0, `write took ${ms} ms`);
    const old = this.tookMs[this.next]!;
    this.slowCount += Number(ms > this.syncMsMax) - Number(old > this.syncMsMax);
    this.slowForBatchCount += Number(ms > this.batchMsMax) - Number(old > this.batchMsMax);
    this.tookMs[this.next] = ms;
    this.next = (this.next + 1) % this.tookMs.length;
    assert(this.slowCount >= 0 && this.slowCount <= this.slowForBatchCount && this.slowForBatchCount <= this.tookMs.length, `slow counts ${this.slowCount}/${this.slowForBatchCount}`);
  }

  /** True when over half of the latest writes on the loop took over syncMsMax. */
  get diskSlow(): boolean {
    return this.slowCount * 2 > this.tookMs.length;
  }

  /** True when over half of them took over batchMsMax: a record of several entries goes to the pool. */
  get diskSlowForBatches(): boolean {
    return this.slowForBatchCount * 2 > this.tookMs.length;
  }
}
