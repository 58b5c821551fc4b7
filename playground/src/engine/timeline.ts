/**
 * Time travel, RaftScope style: checkpoints along the run, seek = restore the nearest earlier
 * checkpoint and run forward, and a fork when the user acts in the past.
 *
 * The timeline remembers the longest action log it has seen (`actions`). The simulation's own
 * action log is always a prefix of it; the rest is "the recorded future": while the simulation is
 * behind it, running forward re-applies those actions at the exact step they first happened, so
 * replaying the past shows exactly what happened. A new action in the past cuts that future off.
 */
import type { SimCheckpoint, Simulation } from '@raft-kv/core/sim';

export type RecordedAction = Simulation['actionLog'][number];

export interface TimelineLimits {
  /** Least simulated time between two checkpoints (seek replays at most about this much). */
  checkpointEverySimMs: number;
  /**
   * Least real time between two checkpoints: a checkpoint copies the whole world (which grows with
   * the client history), so the gap is also at least 10 times what the last copy took.
   */
  checkpointEveryRealMs: number;
  /** Checkpoints kept; beyond it every other one is dropped (the oldest is always kept). */
  checkpointsMax: number;
}

export const defaultTimelineLimits: TimelineLimits = { checkpointEverySimMs: 500, checkpointEveryRealMs: 150, checkpointsMax: 120 };

export class Timeline {
  private checkpoints: SimCheckpoint[] = [];
  private lastCheckpointReal = -Infinity;
  private lastCheckpointCostMs = 0;
  /**
   * The longest known action log (the sim's actions, then the recorded future). At the horizon it
   * is the simulation's own, live array; after a rewind it is the discarded world's array, which
   * nothing mutates any more.
   */
  actions: readonly RecordedAction[];
  /** The furthest simulated time this timeline has reached. */
  horizon = 0;
  private readonly limits: TimelineLimits;

  constructor(sim: Simulation, limits: TimelineLimits = defaultTimelineLimits) {
    this.limits = limits;
    this.checkpoints.push(sim.checkpoint());
    this.actions = sim.actionLog;
    this.horizon = sim.now;
  }

  get checkpointCount(): number {
    return this.checkpoints.length;
  }

  /** The next recorded action the simulation has not re-applied yet, if it is behind. */
  nextPending(sim: Simulation): RecordedAction | undefined {
    return this.actions[sim.actionLog.length];
  }

  isInPast(sim: Simulation): boolean {
    return sim.now < this.horizon || this.nextPending(sim) !== undefined;
  }

  /** Call after the simulation moved forward: extends the horizon and takes checkpoints. */
  record(sim: Simulation, clock: () => number): void {
    if (sim.actionLog.length >= this.actions.length) this.actions = sim.actionLog;
    if (sim.now <= this.horizon) return;
    this.horizon = sim.now;
    const last = this.checkpoints[this.checkpoints.length - 1]!;
    if (sim.now - last.at < this.limits.checkpointEverySimMs) return;
    const realNow = clock();
    if (realNow - this.lastCheckpointReal < Math.max(this.limits.checkpointEveryRealMs, 10 * this.lastCheckpointCostMs)) return;
    this.checkpoints.push(sim.checkpoint());
    this.lastCheckpointReal = realNow;
    this.lastCheckpointCostMs = clock() - realNow;
    if (this.checkpoints.length > this.limits.checkpointsMax) this.thin();
  }

  private thin(): void {
    this.checkpoints = this.checkpoints.filter((_, i) => i === 0 || i % 2 === 1 || i === this.checkpoints.length - 1);
  }

  /** Restores the latest checkpoint at or before `at`; the caller runs forward from there. */
  rewindTo(sim: Simulation, at: number): void {
    let best = this.checkpoints[0]!;
    for (const cp of this.checkpoints) if (cp.at <= at && cp.at >= best.at) best = cp;
    sim.restore(best);
  }

  /** The user acts at the current moment: forget the future after it. */
  fork(sim: Simulation): void {
    if (!this.isInPast(sim)) return;
    this.actions = sim.actionLog;
    this.checkpoints = this.checkpoints.filter((cp) => cp.at <= sim.now && cp.steps <= sim.steps);
    this.horizon = sim.now;
  }
}
