/**
 * A measuring probe loaded into each benchmarked node (`node --import <probe> raft-node.mjs`, ours.ts
 * compiles it to node-server/dist/bench-probe.mjs) when BENCH_PROBE_PORT is set. It changes
 * nothing the node does; it counts what the node cannot tell about itself yet, and answers
 * GET http://127.0.0.1:<BENCH_PROBE_PORT>/ with:
 *
 * - durable writes: WAL segments are opened with O_DSYNC, so each write to one is a write plus a
 *   data sync (the node's "fsync"); counted with bytes and time, sync and async;
 * - explicit fsyncs (snapshot file, directories) with their time;
 * - snapshots written, own or received: from opening the data file (`snapshot-<index>-<term>.chunks.tmp`,
 *   `snapshot-incoming.chunks`) to renaming the manifest that names it into place, with the data
 *   file's bytes and that time (the node writes a snapshot in the background, between other work);
 * - the event loop's delay (perf_hooks histogram): how long the node could not answer anything;
 * - the longest garbage-collection pause (perf_hooks 'gc' entries), to tell a stall's cause;
 * - the V8 heap.
 *
 * The delay histogram and the longest pause are reset by each GET, so the benchmark reads them per
 * interval; the counters are cumulative. Its cost: two clock reads per write and fsync, and a 10 ms libuv timer.
 * Needs: when a later node version exposes these counters itself (/raft/status), drop this file.
 */
import fs from 'node:fs';
import http from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import { PerformanceObserver, constants, monitorEventLoopDelay, performance } from 'node:perf_hooks';

interface Timed {
  count: number;
  bytes: number;
  ms: number;
  maxMs: number;
}

const timed = (): Timed => ({ count: 0, bytes: 0, ms: 0, maxMs: 0 });
const counters = { walWrites: timed(), fsyncs: timed(), snapshotFiles: timed() };

function note(t: Timed, ms: number, bytes: number): void {
  t.count++;
  t.bytes += bytes;
  t.ms += ms;
  if (ms > t.maxMs) t.maxMs = ms;
}

const walFds = new Set<number>();
/** fds of snapshot data files being written. */
const snapshotFds = new Set<number>();
const snapshotDataFile = /(\.chunks\.tmp|snapshot-incoming\.chunks)$/;
const manifestTmp = 'snapshot.json.tmp';
let snapshotStartedAt = -1;
let snapshotBytes = 0;

function install(): void {
  const original = { openSync: fs.openSync, closeSync: fs.closeSync, write: fs.write, writeSync: fs.writeSync, fsyncSync: fs.fsyncSync, renameSync: fs.renameSync, rename: fs.promises.rename, close: fs.close };

  fs.openSync = ((file: fs.PathLike, ...rest: unknown[]) => {
    const fd = (original.openSync as (...a: unknown[]) => number)(file, ...rest);
    const name = String(file);
    // A segment, or the preallocated spare the WAL opens (synchronously) to make it the next segment.
    if (/wal-(\d+\.log|spare\.tmp)$/.test(name)) walFds.add(fd);
    if (snapshotDataFile.test(name) && rest[0] === 'w') {
      snapshotFds.add(fd);
      snapshotStartedAt = performance.now();
      snapshotBytes = 0;
    }
    return fd;
  }) as typeof fs.openSync;

  fs.closeSync = ((fd: number) => {
    walFds.delete(fd);
    snapshotFds.delete(fd);
    return original.closeSync(fd);
  }) as typeof fs.closeSync;

  // A snapshot's data file is closed asynchronously; its fd number is then reused.
  fs.close = ((fd: number, ...rest: unknown[]) => {
    walFds.delete(fd);
    snapshotFds.delete(fd);
    return (original.close as (...a: unknown[]) => void)(fd, ...rest);
  }) as typeof fs.close;

  fs.writeSync = ((fd: number, ...rest: unknown[]) => {
    const start = performance.now();
    const n = (original.writeSync as (...a: unknown[]) => number)(fd, ...rest);
    if (walFds.has(fd)) note(counters.walWrites, performance.now() - start, n);
    if (snapshotFds.has(fd)) snapshotBytes += n;
    return n;
  }) as typeof fs.writeSync;

  type WriteCallback = (err: Error | null, n: number, ...more: unknown[]) => void;
  /** The original fs.write, with `onWritten(bytes)` called before the caller's callback when it succeeds. */
  const writeThen = (fd: number, rest: unknown[], onWritten: (n: number) => void): void => {
    const callback = rest.pop() as WriteCallback;
    (original.write as (...a: unknown[]) => void)(fd, ...rest, ((err, n, ...more) => {
      if (!err) onWritten(n);
      callback(err, n, ...more);
    }) as WriteCallback);
  };
  fs.write = ((fd: number, ...rest: unknown[]) => {
    if (snapshotFds.has(fd)) return writeThen(fd, rest, (n) => (snapshotBytes += n));
    if (!walFds.has(fd)) return (original.write as (...a: unknown[]) => void)(fd, ...rest);
    const start = performance.now();
    return writeThen(fd, rest, (n) => note(counters.walWrites, performance.now() - start, n));
  }) as typeof fs.write;

  fs.fsyncSync = ((fd: number) => {
    const start = performance.now();
    original.fsyncSync(fd);
    note(counters.fsyncs, performance.now() - start, 0);
  }) as typeof fs.fsyncSync;

  const manifestRenamed = (from: fs.PathLike): void => {
    if (!String(from).endsWith(manifestTmp) || snapshotStartedAt < 0) return;
    note(counters.snapshotFiles, performance.now() - snapshotStartedAt, snapshotBytes);
    snapshotStartedAt = -1;
  };
  fs.renameSync = ((from: fs.PathLike, to: fs.PathLike) => {
    original.renameSync(from, to);
    manifestRenamed(from);
  }) as typeof fs.renameSync;
  // The node writes its own snapshots' manifests with node:fs/promises, off the event loop.
  fs.promises.rename = (async (from: fs.PathLike, to: fs.PathLike) => {
    await original.rename(from, to);
    manifestRenamed(from);
  }) as typeof fs.promises.rename;

  // Named imports of node:fs (import { openSync } from 'node:fs') see the wrappers too.
  syncBuiltinESMExports();
}

/** perf_hooks' GC kinds: a scavenge of the young generation, a full mark-compact, a step of incremental marking, weak callbacks. */
function gcKindName(kind: number | undefined): string {
  const names: Record<number, string> = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
  };
  return kind === undefined ? '?' : (names[kind] ?? String(kind));
}

function serve(port: number): void {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let gcPauseMaxMs = 0;
  let gcPauseMaxKind = '';
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration <= gcPauseMaxMs) continue;
      gcPauseMaxMs = e.duration;
      gcPauseMaxKind = gcKindName((e as unknown as { detail?: { kind?: number } }).detail?.kind);
    }
  }).observe({ entryTypes: ['gc'] });
  const server = http.createServer((_req, res) => {
    const memory = process.memoryUsage();
    const body = {
      ...counters,
      eventLoopDelay: { maxMs: delay.max / 1e6, p99Ms: delay.percentile(99) / 1e6, meanMs: delay.mean / 1e6 },
      gcPauseMaxMs,
      gcPauseMaxKind,
      heapUsedBytes: memory.heapUsed,
      memory,
    };
    delay.reset();
    gcPauseMaxMs = 0;
    gcPauseMaxKind = '';
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  });
  server.listen(port, '127.0.0.1');
  // The probe must not keep a node alive that is shutting down.
  server.unref();
}

const probePort = Number(process.env.BENCH_PROBE_PORT);
if (Number.isInteger(probePort) && probePort > 0) {
  install();
  serve(probePort);
}

export type ProbeReading = typeof counters & {
  eventLoopDelay: { maxMs: number; p99Ms: number; meanMs: number };
  /** The longest garbage-collection pause since the previous reading, and its kind (minor, major, incremental). */
  gcPauseMaxMs: number;
  gcPauseMaxKind: string;
  heapUsedBytes: number;
  /** process.memoryUsage(): where the RSS is (V8's heap, its used part, buffers outside it). */
  memory: NodeJS.MemoryUsage;
};
