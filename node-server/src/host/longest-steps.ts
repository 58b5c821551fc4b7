/**
 * The longest synchronous step of each kind a node has run since it started, in ms: what
 * GET /raft/status shows as `stats.longestStepMs`. A step is work that holds the event loop (and
 * so every heartbeat and client) until it ends. A garbage-collection pause that lands inside a
 * step holds it too, and V8 starts one wherever an allocation finds the heap full, so each kind
 * also has `WithoutGc`: the longest step once the pauses inside it are taken out, which is the
 * step's own work; and how many steps of each kind ran (`Steps`), how many of them took over 10 ms
 * (`Over10Ms`). Kinds:
 * - core: one call into the consensus core (a tick, a message, a Ready with its applies, the
 *   restore of a received snapshot chunk);
 * - snapshotChunk: reading one chunk of the node's own snapshot from its frozen view and framing it;
 * - snapshotCommit: the synchronous end of a snapshot, taken (once its manifest is durable: the
 *   switch to the new data file and the log's compaction) or received (rename, a new WAL segment,
 *   manifest).
 * A step's wall time also counts the time the main thread waited for a core, which on a busy
 * machine can double it. So the snapshot kinds also report `Cpu`: the most CPU time the main thread
 * used during one such step, its own work whatever the machine's load (thread-cpu-clock.ts: on
 * Linux to within a scheduler tick; elsewhere the whole process's, never less than the step's own).
 * Core steps are not clocked: two clock reads (1.3 us each) per core step would cost the leader
 * about 4% of its CPU per write (1.5 core steps per write at 64 clients).
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import type { CpuClock } from './thread-cpu-clock';
import { cpuClock } from './thread-cpu-clock';

export type StepKind = 'core' | 'snapshotChunk' | 'snapshotCommit';
const kinds: readonly StepKind[] = ['core', 'snapshotChunk', 'snapshotCommit'];

type CpuClockedKind = 'snapshotChunk' | 'snapshotCommit';
const cpuClocked = (kind: StepKind): kind is CpuClockedKind => kind !== 'core';

export type StepFigures = Record<StepKind | `${StepKind}WithoutGc` | `${StepKind}Steps` | `${StepKind}Over10Ms` | `${CpuClockedKind}Cpu`, number>;

/** A step longer than this is counted apart: how rare the long ones are. */
const longStepMs = 10;

export interface Interval {
  start: number;
  end: number;
}

/** Steps shorter than this cannot hold a pause worth taking out: they count as they are. */
const settleAboveMs = 2;
/**
 * A pause is reported some time after it ended (Node makes its entry in a later turn, then calls
 * the observer), and an observer call that was due before a step may run right after it, without
 * the step's own pauses. So a step is settled only once it ended this long ago.
 */
const settleAfterMsDefault = 200;
/** Most long steps waiting: past it the oldest are settled with the pauses known so far. */
const pendingMax = 1024;

interface Step extends Interval {
  kind: StepKind;
}

export class LongestSteps {
  private readonly gross: Record<StepKind, number> = { core: 0, snapshotChunk: 0, snapshotCommit: 0 };
  private readonly net: Record<StepKind, number> = { core: 0, snapshotChunk: 0, snapshotCommit: 0 };
  private readonly count: Record<StepKind, number> = { core: 0, snapshotChunk: 0, snapshotCommit: 0 };
  private readonly over: Record<StepKind, number> = { core: 0, snapshotChunk: 0, snapshotCommit: 0 };
  private readonly cpu: Record<CpuClockedKind, number> = { snapshotChunk: 0, snapshotCommit: 0 };
  private pending: Step[] = [];
  private pauses: Interval[] = [];
  private observer: PerformanceObserver | null = null;
  private closed = false;

  private readonly clock: CpuClock = cpuClock();

  /** `settleAfterMs`: tests that report pauses themselves set it high, so no step settles before they do. */
  constructor(private readonly options: { settleAfterMs: number } = { settleAfterMs: settleAfterMsDefault }) {}

  /** What the `Cpu` figures count: the main thread alone, or (off Linux) the whole process. */
  get cpuClock(): CpuClock['counts'] {
    return this.clock.counts;
  }

  time<T>(kind: StepKind, step: () => T): T {
    const clocked = cpuClocked(kind) ? kind : null;
    const cpuStart = clocked ? this.clock.nowMs() : 0;
    const start = performance.now();
    try {
      return step();
    } finally {
      const end = performance.now();
      const ms = end - start;
      if (clocked) this.cpu[clocked] = Math.max(this.cpu[clocked], this.clock.nowMs() - cpuStart);
      this.count[kind]++;
      if (ms > longStepMs) this.over[kind]++;
      if (ms > this.gross[kind]) this.gross[kind] = ms;
      if (ms <= settleAboveMs) {
        if (ms > this.net[kind]) this.net[kind] = ms;
      } else {
        this.watchPauses();
        this.pending.push({ kind, start, end });
        if (this.pending.length > pendingMax) this.settle(this.pending[this.pending.length - pendingMax]!.end);
      }
    }
  }

  /**
   * The figures so far, rounded to 0.01 ms (for a status answer). A step of the last moments counts
   * with the pauses reported so far: if one of its pauses is still to come, its figure is too
   * high, never too low.
   */
  view(): StepFigures {
    this.settle(performance.now() - this.options.settleAfterMs);
    const net = { ...this.net };
    for (const step of this.pending) net[step.kind] = Math.max(net[step.kind], this.withoutPauses(step));
    const out = {} as StepFigures;
    for (const kind of kinds) {
      out[kind] = round(this.gross[kind]);
      out[`${kind}WithoutGc`] = round(net[kind]);
      out[`${kind}Steps`] = this.count[kind];
      out[`${kind}Over10Ms`] = this.over[kind];
      if (cpuClocked(kind)) out[`${kind}Cpu`] = round(this.cpu[kind]);
    }
    return out;
  }

  /** Stops watching GC pauses (a node that stops); later long steps count as they are. */
  close(): void {
    this.closed = true;
    this.observer?.disconnect();
    this.observer = null;
  }

  /** GC pauses that ended since the last call (the observer's; tests give their own). */
  notePauses(pauses: readonly Interval[]): void {
    this.pauses.push(...pauses);
    this.settle(performance.now() - this.options.settleAfterMs);
  }

  /** Settles the steps that ended before `cutoff`, and forgets the pauses no step waiting can hold. */
  private settle(cutoff: number): void {
    const waiting: Step[] = [];
    for (const step of this.pending) {
      if (step.end >= cutoff) waiting.push(step);
      else this.net[step.kind] = Math.max(this.net[step.kind], this.withoutPauses(step));
    }
    this.pending = waiting;
    const from = waiting.length > 0 ? Math.min(...waiting.map((s) => s.start)) : cutoff;
    this.pauses = this.pauses.filter((p) => p.end > from);
  }

  private withoutPauses(step: Interval): number {
    let ms = step.end - step.start;
    for (const p of this.pauses) ms -= Math.max(0, Math.min(step.end, p.end) - Math.max(step.start, p.start));
    return ms;
  }

  /** GC pauses are watched from the first long step on: a node whose steps are all short pays nothing. */
  private watchPauses(): void {
    if (this.observer || this.closed) return;
    this.observer = new PerformanceObserver((list) => {
      this.notePauses(list.getEntries().map((e) => ({ start: e.startTime, end: e.startTime + e.duration })));
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
