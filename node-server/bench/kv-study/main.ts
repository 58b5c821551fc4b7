/**
 * `npm run bench:kv`: which in-memory representation should the KV state machine use, so that a
 * snapshot never stalls the node? At 1k, 100k and 1M keys (8-byte keys, 256-byte values), for each
 * representation in representations.ts:
 *
 * - heap bytes per key after a full GC (run with --expose-gc; npm run bench:kv does);
 * - sets per second with no snapshot, and while a consistent snapshot is serialized in 1 MiB JSON
 *   chunks (1,000 sets between chunks, as a node would go on applying entries between steps);
 * - the longest single synchronous step of that snapshot (taking it, or producing one chunk):
 *   the goal is under ~10 ms at 1M keys; the snapshot is checked to hold exactly the state at
 *   the moment it was taken;
 * - rebuild time from the snapshot's sorted chunks (a restart: parse and load);
 * - a prefix range of 100 keys.
 *
 * Options: --sizes 1000,100000,1000000. Results: node-server/bench/kv-results.md and .json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { markdownTable, runHeader, provenance } from '../results';
import type { Pair, Representation, RepresentationKind } from './representations';
import { kinds } from './representations';

const { values: args } = parseArgs({ options: { sizes: { type: 'string', default: '1000,100000,1000000' } } });
const sizes = args.sizes.split(',').map(Number);
const here = path.dirname(fileURLToPath(import.meta.url));
const chunkBytes = 1 << 20;
const setsBetweenChunks = 1000;
const liveBytesPerKey = 8 + 256;
const say = (line: string): void => void process.stdout.write(`${line}\n`);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  process.stderr.write('run with node --expose-gc (npm run bench:kv does)\n');
  process.exit(2);
}

/** Keys in base 36, zero-padded to 8 bytes: their string order is their numeric order. */
const keyOf = (i: number): string => i.toString(36).padStart(8, '0');
/** A flat (not concatenated) 256-byte string, as a value parsed from a request would be. */
const valueOf = (tag: string, key: string): string => Buffer.from(`${tag}${key}`.padEnd(256, '.'), 'latin1').toString('latin1');

/** A small PRNG (mulberry32), so every representation gets the same sequence of writes. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * CPU milliseconds this process has used (user + system, all threads). Every duration here is CPU
 * time: on a shared machine the process is preempted for tens of milliseconds at a time, which
 * wall-clock time would charge to whatever step was running. The longest step is also kept in
 * wall-clock time, which is what a node's event loop would feel on this machine.
 */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function heapUsed(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

/** `count` sets of random existing keys to values from `pool`; returns the time in ms. */
function timedSets(rep: Representation, size: number, count: number, pool: string[], next: () => number): number {
  const start = cpuMs();
  for (let i = 0; i < count; i++) rep.set(keyOf(Math.floor(next() * size)), pool[i % pool.length]!);
  return cpuMs() - start;
}

interface SnapshotRun {
  freezeMs: number;
  longestStepMs: number;
  longestStepWallMs: number;
  /** Every step's CPU time. */
  stepsMs: number[];
  totalMs: number;
  chunks: number;
  setsPerSec: number;
}

/**
 * Takes a snapshot and serializes it in ~1 MiB chunks, with writes between chunks (values tagged
 * with the run), and checks that the snapshot holds every key exactly once with none of those values.
 */
function snapshotWhileWriting(rep: Representation, size: number, next: () => number, run: number): SnapshotRun {
  const tag = `during${run}-`;
  const pool = Array.from({ length: 1024 }, (_, i) => valueOf(tag, String(i)));
  const start = cpuMs();
  const startWall = performance.now();
  const iterator = rep.freeze();
  const freezeMs = cpuMs() - start;
  let longestStepMs = freezeMs;
  let longestStepWallMs = performance.now() - startWall;
  const stepsMs = [freezeMs];
  let chunks = 0;
  let pairs = 0;
  let setMs = 0;
  let sets = 0;
  let done = false;
  while (!done) {
    const stepStart = cpuMs();
    const stepStartWall = performance.now();
    const batch: Pair[] = [];
    let bytes = 0;
    while (bytes < chunkBytes) {
      const r = iterator.next();
      if (r.done) {
        done = true;
        break;
      }
      batch.push(r.value);
      bytes += r.value[0].length + r.value[1].length + 7;
    }
    const chunk = JSON.stringify(batch);
    const stepMs = cpuMs() - stepStart;
    stepsMs.push(stepMs);
    longestStepMs = Math.max(longestStepMs, stepMs);
    longestStepWallMs = Math.max(longestStepWallMs, performance.now() - stepStartWall);
    if (chunk.includes(`"${tag}`)) throw new Error(`${rep.name}: the snapshot holds a value written after it was taken`);
    pairs += batch.length;
    chunks++;
    setMs += timedSets(rep, size, setsBetweenChunks, pool, next);
    sets += setsBetweenChunks;
  }
  rep.thaw();
  if (pairs !== size) throw new Error(`${rep.name}: the snapshot holds ${pairs} pairs, not ${size}`);
  return { freezeMs, longestStepMs, longestStepWallMs, stepsMs, totalMs: cpuMs() - start - setMs, chunks, setsPerSec: (sets / setMs) * 1000 };
}

/** The snapshot of `size` keys as sorted ~1 MiB JSON chunks (what a restart reads). */
function sortedChunks(size: number): string[] {
  const chunks: string[] = [];
  let batch: Pair[] = [];
  let bytes = 0;
  for (let i = 0; i < size; i++) {
    const key = keyOf(i);
    batch.push([key, valueOf('v', key)]);
    bytes += 8 + 256 + 7;
    if (bytes >= chunkBytes) {
      chunks.push(JSON.stringify(batch));
      batch = [];
      bytes = 0;
    }
  }
  if (batch.length > 0) chunks.push(JSON.stringify(batch));
  return chunks;
}

function rebuildMs(kind: RepresentationKind, size: number): number {
  const chunks = sortedChunks(size);
  const start = cpuMs();
  const keys: string[] = [];
  const values: string[] = [];
  for (const chunk of chunks) {
    for (const [k, v] of JSON.parse(chunk) as Pair[]) {
      keys.push(k);
      values.push(v);
    }
  }
  const rep = kind.fromSorted(keys, values);
  const ms = cpuMs() - start;
  if (rep.size !== size || rep.get(keyOf(size - 1)) !== values[size - 1]) throw new Error(`${kind.name}: rebuilt wrong`);
  return ms;
}

function prefixRangeMs(rep: Representation, size: number, next: () => number): number {
  const queries = 20;
  const start = cpuMs();
  for (let q = 0; q < queries; q++) {
    // Six of eight base-36 digits: up to 1,296 keys share the prefix; the first 100 are asked for.
    const prefix = keyOf(Math.floor(next() * size)).slice(0, 6);
    const found = rep.prefixRange(prefix, 100);
    if (found.length === 0 || !found.every(([k]) => k.startsWith(prefix))) throw new Error(`${rep.name}: wrong prefix range`);
  }
  return (cpuMs() - start) / queries;
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Row {
  kind: string;
  size: number;
  heapBytesPerKey: number;
  loadSetsPerSec: number;
  setsPerSecIdle: number;
  /** Medians of three runs, except the longest step: the best run's, and the worst run's beside it. */
  snapshot: Omit<SnapshotRun, 'stepsMs'> & { worstLongestStepMs: number; bestLongestStepWallMs: number; stepMedianMs: number; stepP99Ms: number };
  rebuildMs: number;
  prefixRangeMs: number;
}

function load(kind: RepresentationKind, size: number): Representation {
  const rep = kind.empty();
  for (let i = 0; i < size; i++) {
    const key = keyOf(i);
    rep.set(key, valueOf('v', key));
  }
  return rep;
}

function measure(kind: RepresentationKind, size: number): Row {
  const next = prng(size);
  // The heap is measured over at least 100,000 keys (copies of a small map), where a full GC's
  // leftovers (a few hundred KB) are noise.
  const copies = Math.ceil(100_000 / size);
  const before = heapUsed();
  const loadStart = cpuMs();
  const reps = Array.from({ length: copies }, () => load(kind, size));
  const loadMs = (cpuMs() - loadStart) / copies;
  const heapBytesPerKey = (heapUsed() - before) / (size * copies);
  const rep = reps[0]!;
  reps.length = 0;
  const idlePool = Array.from({ length: 1024 }, (_, i) => valueOf('idle', String(i)));
  const idleSets = Math.max(10_000, Math.min(size, 200_000));
  const setsPerSecIdle = (idleSets / timedSets(rep, size, idleSets, idlePool, next)) * 1000;
  // The longest step is a maximum, and a busy machine can preempt any step: three runs, and the
  // table shows the best run's longest step beside the worst's (the best is the code's own cost).
  const runs = [0, 1, 2].map((run) => snapshotWhileWriting(rep, size, next, run));
  const byStep = [...runs].sort((a, b) => a.longestStepMs - b.longestStepMs);
  const steps = runs.flatMap((r) => r.stepsMs).sort((a, b) => a - b);
  const { stepsMs: _steps, ...best } = byStep[0]!;
  const snapshot = {
    ...best, worstLongestStepMs: byStep[2]!.longestStepMs, bestLongestStepWallMs: Math.min(...runs.map((r) => r.longestStepWallMs)),
    stepMedianMs: steps[Math.floor(steps.length / 2)]!, stepP99Ms: steps[Math.min(steps.length - 1, Math.floor(steps.length * 0.99))]!,
    setsPerSec: median(runs.map((r) => r.setsPerSec)), totalMs: median(runs.map((r) => r.totalMs)),
  };
  const range = prefixRangeMs(rep, size, next);
  return { kind: kind.name, size, heapBytesPerKey, loadSetsPerSec: (size / loadMs) * 1000, setsPerSecIdle, snapshot, rebuildMs: rebuildMs(kind, size), prefixRangeMs: range };
}

const f = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-');

function table(rows: Row[]): string {
  return markdownTable(
    ['representation', 'heap bytes/key (x live data)', 'sets/s loading', 'sets/s, no snapshot', 'sets/s while serializing', 'take snapshot ms', 'step ms: median / p99', 'longest step ms (best / worst of 3)', 'longest step, wall-clock ms (best of 3)', 'serialize ms (chunks)', 'rebuild from sorted chunks ms', 'prefix range of 100 ms'],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows.map((r) => [
      r.kind, `${f(r.heapBytesPerKey)} (${f(r.heapBytesPerKey / liveBytesPerKey, 2)}x)`, f(r.loadSetsPerSec), f(r.setsPerSecIdle), f(r.snapshot.setsPerSec),
      f(r.snapshot.freezeMs, 2), `${f(r.snapshot.stepMedianMs, 1)} / ${f(r.snapshot.stepP99Ms, 1)}`, `${r.snapshot.longestStepMs > 10 ? '**' : ''}${f(r.snapshot.longestStepMs, 1)}${r.snapshot.longestStepMs > 10 ? '**' : ''} / ${f(r.snapshot.worstLongestStepMs, 1)}`, f(r.snapshot.bestLongestStepWallMs, 1),
      `${f(r.snapshot.totalMs)} (${r.snapshot.chunks})`, f(r.rebuildMs), f(r.prefixRangeMs, 3),
    ]));
}

function main(): void {
  const header = runHeader();
  say(`bench:kv on ${header.machine}, load average ${header.loadAtStart}`);
  // A warm-up pass, not reported, so that the first size measured does not pay for compilation.
  for (const kind of kinds) measure(kind, 2000);
  const rows: Row[] = [];
  for (const size of sizes) {
    for (const kind of kinds) {
      const row = measure(kind, size);
      rows.push(row);
      say(`${size} keys, ${kind.name}: ${f(row.heapBytesPerKey)} B/key, ${f(row.setsPerSecIdle)} sets/s, ${f(row.snapshot.setsPerSec)} while serializing, ` +
        `longest step ${f(row.snapshot.longestStepMs, 1)} ms, rebuild ${f(row.rebuildMs)} ms, range ${f(row.prefixRangeMs, 3)} ms`);
    }
  }
  const md = [
    '# State-machine representation study (`npm run bench:kv`)',
    '',
    ...provenance(header, 'representations measured one after the other'),
    `8-byte keys, 256-byte values (${liveBytesPerKey} bytes of live data per key). Snapshots are serialized as JSON arrays of [key, value] in ~1 MiB chunks, with ${setsBetweenChunks.toLocaleString('en')} sets of random existing keys between chunks; every snapshot is checked to hold exactly the state at the moment it was taken. ` +
      'A "step" is one synchronous piece of work (taking the snapshot, or producing one chunk): the event loop of a node can do nothing else meanwhile; the goal is under ~10 ms at 1M keys (bold: over). ' +
      'Times are CPU time of the process (user + system, all threads, so a step pays for the garbage collection it causes), not wall-clock time, which on a shared machine also counts the time the process waits for a core; the longest step is also shown in wall-clock time. ' +
      'Each snapshot runs three times: the step median and p99 are over all three runs\' steps, the longest step is shown for the best and the worst run, the other snapshot columns are medians. ' +
      'Rebuild: parse the sorted chunks and load them (sorted-btree uses its bulkLoad). Prefix range: the first 100 keys with a 6-character prefix (a hash map must scan every key). What each representation is: node-server/bench/kv-study/representations.ts. How to read this and the choice: docs/benchmarks.md.',
    '',
    ...sizes.flatMap((size) => [`## ${size.toLocaleString('en')} keys`, '', table(rows.filter((r) => r.size === size)), '']),
  ].join('\n');
  fs.writeFileSync(path.join(here, '../kv-results.md'), md);
  fs.writeFileSync(path.join(here, '../kv-results.json'), JSON.stringify({ ...header, sizes, chunkBytes, setsBetweenChunks, rows }, null, 2) + '\n');
  say(`\n${md}\nwritten to node-server/bench/kv-results.md and kv-results.json`);
}

main();
