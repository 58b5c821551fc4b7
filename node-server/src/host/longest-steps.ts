/**
 * The longest synchronous step of each kind a node has run since it started, in ms: what
 * GET /raft/status shows as `stats.longestStepMs`. A step is work that holds the event loop (and
 * so every heartbeat and client) until it ends. A garbage-collection pause that lands inside a
 * step holds it too, and V8 starts one wherever an allocation finds the heap full, so each kind
 * also has `WithoutGc`: the longest step once the pauses inside it are taken out, which is the
 * step's own work. Kinds:
 * - core: one call into the consensus core (a tick, a message, a Ready with its applies, the
 *   restore of a received snapshot chunk);
 * - snapshotChunk: reading one chunk of the node's own snapshot from its frozen view and framing it;
 * - snapshotCommit: the synchronous end of a snapshot, taken (rename, manifest, log compaction)
 *   or received (rename, a new WAL segment, manifest).
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';

export type StepKind = 'core' | 'snapshotChunk' | 'snapshotCommit';
const kinds: readonly StepKind[] = ['core', 'snapshotChunk', 'snapshotCommit'];

export type StepFigures = Record<StepKind | `${StepKind}WithoutGc`, number>;

export interface Interval {
  start: number;
  end: number;
}

/** Steps shorter than this cannot hold a pause worth taking out: they count as they are. */
const settleAboveMs = 2;
/** Most long steps waiting for their pauses: past it they count as they are (the figure can only be too high). */
const pendingMax = 1024;

export class LongestSteps {
  private readonly gross: Record<StepKind, number> = { core: 0, snapshotChunk: 0, snapshotCommit: 0 };
  private readonly net: Record<StepKind, number> = { core: 0, snapshotChunk: 0, snapshotCommit: 0 };
  private pending: (Interval & { kind: StepKind })[] = [];
  private observer: PerformanceObserver | null = null;
  private closed = false;

  time<T>(kind: StepKind, step: () => T): T {
    const start = performance.now();
    try {
      return step();
    } finally {
      const end = performance.now();
      const ms = end - start;
      if (ms > this.gross[kind]) this.gross[kind] = ms;
      if (ms <= settleAboveMs) {
        if (ms > this.net[kind]) this.net[kind] = ms;
      } else {
        this.watchPauses();
        this.pending.push({ kind, start, end });
        if (this.pending.length > pendingMax) this.settle([]);
      }
    }
  }

  /** The figures so far, rounded to 0.01 ms (for a status answer). */
  view(): StepFigures {
    // A long step since the last pauses were reported counts as it is: too high, never too low.
    this.settle([]);
    const out = {} as StepFigures;
    for (const kind of kinds) {
      out[kind] = round(this.gross[kind]);
      out[`${kind}WithoutGc`] = round(this.net[kind]);
    }
    return out;
  }

  /** Stops watching GC pauses (a node that stops); later long steps count as they are. */
  close(): void {
    this.closed = true;
    this.observer?.disconnect();
    this.observer = null;
  }

  /** GC pauses that ended since the last call (the observer's; tests give their own): settles the steps waiting. */
  notePauses(pauses: readonly Interval[]): void {
    this.settle(pauses);
  }

  private settle(pauses: readonly Interval[]): void {
    for (const step of this.pending) {
      let ms = step.end - step.start;
      for (const p of pauses) ms -= Math.max(0, Math.min(step.end, p.end) - Math.max(step.start, p.start));
      if (ms > this.net[step.kind]) this.net[step.kind] = ms;
    }
    this.pending = [];
  }

  /**
   * GC pauses are watched from the first long step on (a node whose steps are all short pays
   * nothing). The observer is called after the turn a pause happened in, with every pause since its
   * last call: every step waiting has ended by then, so each has all its pauses in this batch.
   */
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
