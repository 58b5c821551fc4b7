/**
 * How much CPU time the main thread has used, in ms: the clock LongestSteps reads around a snapshot
 * step, so that the figure is the step's own work and not the wait for a core.
 *
 * Node 20 has no per-thread CPU clock (process.threadCpuUsage came in Node 23.9), and
 * process.cpuUsage() counts every thread of the process, V8's concurrent markers and the thread
 * pool's fsyncs included. Linux keeps each thread's run time in /proc/thread-self/schedstat (first
 * field, ns): opened once on the main thread, one pread reads it in about 1.3 us. The kernel updates
 * that figure when the thread is switched out and at each scheduler tick, so a reading may lag by up
 * to one tick (4 ms at 250 Hz): a step's figure is its CPU time give or take one tick.
 *
 * Elsewhere (or when /proc is not mounted) the clock falls back to process.cpuUsage(), and says so.
 */
import fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';

export interface CpuClock {
  /** 'main thread': this thread alone, to within a scheduler tick; 'process': all threads together. */
  readonly counts: 'main thread' | 'process';
  nowMs(): number;
}

const processClock: CpuClock = {
  counts: 'process',
  nowMs: () => {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1000;
  },
};

let mainThreadClock: CpuClock | null | undefined;

/** The main thread's clock on Linux, else the process's. Made once: the file stays open for the process's life. */
export function cpuClock(): CpuClock {
  if (mainThreadClock === undefined) mainThreadClock = openMainThreadClock();
  return mainThreadClock ?? processClock;
}

function openMainThreadClock(): CpuClock | null {
  // /proc/thread-self names the thread that opens it: only the main thread may open it for itself.
  if (process.platform !== 'linux' || !isMainThread) return null;
  let fd: number;
  try {
    fd = fs.openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    return null;
  }
  const buf = Buffer.alloc(64);
  const read = (): number => {
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const end = buf.indexOf(0x20);
    return Number(buf.toString('latin1', 0, end > 0 && end < n ? end : n)) / 1e6;
  };
  // A kernel without the scheduler's statistics would give a clock that never moves: not one to trust.
  const first = read();
  if (!Number.isFinite(first) || first <= 0) {
    fs.closeSync(fd);
    return null;
  }
  return { counts: 'main thread', nowMs: read };
}
