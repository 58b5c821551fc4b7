/**
 * The longest synchronous step of each kind a node has run since it started, in ms: what
 * GET /raft/status shows as `stats.longestStepMs`. A step is work that holds the event loop (and
 * so every heartbeat and client) until it ends; a garbage-collection pause that lands inside one
 * counts in it. Kinds:
 * - core: one call into the consensus core (a tick, a message, a Ready with its applies, the
 *   restore of a received snapshot chunk);
 * - snapshotChunk: reading one chunk of the node's own snapshot from its frozen view and framing it;
 * - snapshotCommit: the synchronous end of a snapshot, taken (rename, manifest, log compaction)
 *   or received (rename, a new WAL segment, manifest).
 */
import { performance } from 'node:perf_hooks';

export type StepKind = 'core' | 'snapshotChunk' | 'snapshotCommit';

export class LongestSteps {
  readonly ms: Record<StepKind, number> = { core: 0, snapshotChunk: 0, snapshotCommit: 0 };

  time<T>(kind: StepKind, step: () => T): T {
    const started = performance.now();
    try {
      return step();
    } finally {
      const ms = performance.now() - started;
      if (ms > this.ms[kind]) this.ms[kind] = ms;
    }
  }

  /** A copy with the figures rounded to 0.01 ms, for a status answer. */
  view(): Record<StepKind, number> {
    const out = { ...this.ms };
    for (const kind of Object.keys(out) as StepKind[]) out[kind] = Math.round(out[kind] * 100) / 100;
    return out;
  }
}
