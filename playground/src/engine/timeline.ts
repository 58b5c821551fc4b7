/**
 * Time travel with branches, RaftScope style: checkpoints along the run, seek = restore the
 * nearest earlier checkpoint and run forward, and a new branch when the learner acts in the past.
 *
 * A branch is a script (the actions, with the step and time each happened) plus how far it has
 * been run (its horizon) and its checkpoints. While the run is behind the current branch's
 * horizon, running forward re-applies the recorded actions at their exact step, so the past
 * replays exactly. Acting in the past keeps that future as it was, under its own name in the
 * branch list, and starts a new branch from the moment shown.
 */
import type { ScriptEntry } from './protocol';
import type { Run, RunCheckpoint } from './run';

export interface TimelineLimits {
  /** Least simulated time between two checkpoints (seek replays at most about this much). */
  checkpointEverySimMs: number;
  /**
   * Least real time between two checkpoints: a checkpoint copies the whole world (which grows with
   * the client history), so the gap is also at least 10 times what the last copy took.
   */
  checkpointEveryRealMs: number;
  /** Checkpoints kept per branch; beyond it every other one is dropped (the oldest is always kept). */
  checkpointsMax: number;
  /** Branches kept; beyond it the oldest one not shown is forgotten. */
  branchesMax: number;
}

export const defaultTimelineLimits: TimelineLimits = { checkpointEverySimMs: 500, checkpointEveryRealMs: 150, checkpointsMax: 120, branchesMax: 12 };

export interface Branch {
  readonly id: number;
  readonly name: string;
  readonly script: ScriptEntry[];
  /** When it split from the branch it came from. */
  readonly forkAt: number;
  /** The furthest simulated time this branch has reached. */
  horizon: number;
  checkpoints: RunCheckpoint[];
}

export class Timeline {
  readonly branches: Branch[] = [];
  current: Branch;
  private nextId = 1;
  private lastCheckpointReal = -Infinity;
  private lastCheckpointCostMs = 0;
  private readonly limits: TimelineLimits;

  constructor(run: Run, limits: TimelineLimits = defaultTimelineLimits, script: ScriptEntry[] = []) {
    this.limits = limits;
    this.current = this.addBranch('main', script, run.now, [run.checkpoint()]);
    run.script = this.current.script;
  }

  get horizon(): number {
    return this.current.horizon;
  }

  get checkpointCount(): number {
    return this.current.checkpoints.length;
  }

  /** Showing a moment before the branch's end: there is a recorded future ahead. */
  isInPast(run: Run): boolean {
    return run.now < this.current.horizon || run.state.applied < this.current.script.length;
  }

  /** Call after the run moved forward: extends the horizon and takes checkpoints. */
  record(run: Run, clock: () => number): void {
    const branch = this.current;
    if (run.now <= branch.horizon) return;
    branch.horizon = run.now;
    const last = branch.checkpoints[branch.checkpoints.length - 1]!;
    if (run.now - last.at < this.limits.checkpointEverySimMs) return;
    const realNow = clock();
    if (realNow - this.lastCheckpointReal < Math.max(this.limits.checkpointEveryRealMs, 10 * this.lastCheckpointCostMs)) return;
    branch.checkpoints.push(run.checkpoint());
    this.lastCheckpointReal = realNow;
    this.lastCheckpointCostMs = clock() - realNow;
    if (branch.checkpoints.length > this.limits.checkpointsMax) {
      const all = branch.checkpoints;
      branch.checkpoints = all.filter((_, i) => i === 0 || i % 2 === 1 || i === all.length - 1);
    }
  }

  /**
   * A new action at the moment shown. In the past, the current future is kept as it is (a branch
   * of its own) and a new branch starts here with the actions applied so far.
   */
  append(run: Run, action: ScriptEntry['action']): ScriptEntry {
    if (this.isInPast(run)) this.fork(run);
    const entry: ScriptEntry = { step: run.sim.steps, at: run.now, action };
    this.current.script.push(entry);
    return entry;
  }

  private fork(run: Run): void {
    const parent = this.current;
    const shared = parent.checkpoints.filter((cp) => cp.micro <= run.state.micro);
    const branch = this.addBranch(`branch ${this.nextId}`, parent.script.slice(0, run.state.applied), run.now, shared);
    this.current = branch;
    run.script = branch.script;
  }

  private addBranch(name: string, script: ScriptEntry[], at: number, checkpoints: RunCheckpoint[]): Branch {
    const branch: Branch = { id: this.nextId++, name, script, forkAt: at, horizon: at, checkpoints };
    this.branches.push(branch);
    if (this.branches.length > this.limits.branchesMax) {
      const oldest = this.branches.findIndex((b) => b !== branch);
      this.branches.splice(oldest, 1);
    }
    return branch;
  }

  /** Makes branch `id` the current one; the caller then seeks in it. */
  switchTo(run: Run, id: number): boolean {
    const branch = this.branches.find((b) => b.id === id);
    if (!branch || branch === this.current) return false;
    this.current = branch;
    run.script = branch.script;
    this.rewindTo(run, 0);
    return true;
  }

  /** Restores the latest checkpoint at or before `at`; the caller runs forward from there. */
  rewindTo(run: Run, at: number): void {
    this.rewindWhere(run, (cp) => cp.at <= at);
  }

  /** Restores the latest checkpoint that satisfies `ok` (the first one when none does). */
  rewindWhere(run: Run, ok: (cp: RunCheckpoint) => boolean): void {
    const cps = this.current.checkpoints;
    let best = cps[0]!;
    for (const cp of cps) if (ok(cp) && cp.micro >= best.micro) best = cp;
    run.restore(best);
  }
}
