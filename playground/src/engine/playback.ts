/**
 * Moving through a run: step one event forward or back, run until the next election, commit or
 * violation, seek to a time, jump to the step that broke an invariant. Every move is made of the
 * run's micro-steps (run.ts), so each lands exactly where a replay would.
 */
import { assert } from '@raft-kv/core';
import type { TimedEvent } from '@raft-kv/core/sim';
import type { Pacer } from './pacer';
import type { RunUntil } from './protocol';
import type { Run } from './run';
import type { Timeline } from './timeline';

export interface PlaybackWorld {
  readonly run: Run;
  readonly timeline: Timeline;
  readonly pacer: Pacer;
  /** Real time (checkpoints are spaced in real time too). */
  realNow(): number;
}

/** Micro-steps a single step may take while looking for something visible to happen. */
const stepSearchMax = 20_000;
/** "Run until" gives up after this much simulated time. */
export const runUntilBudgetMs = 60_000;

/** What the step buttons compare: something visible happened when this changes. */
function signature(run: Run): string {
  const inFlight = run.sim.network.inFlight;
  let last = 0;
  for (const key of inFlight.keys()) last = key;
  return `${run.events}:${inFlight.size}:${last}:${run.state.applied}`;
}

/** One step forward: runs until a message is sent or delivered, an event happens, or an action applies. */
export function stepForward(w: PlaybackWorld): void {
  const run = w.run;
  const before = signature(run);
  for (let i = 0; i < stepSearchMax; i++) {
    run.microStep();
    w.pacer.settle(run.now);
    if (signature(run) !== before) break;
  }
  w.timeline.record(run, () => w.realNow());
}

/**
 * One step back: to the last moment before this one at which something visible happened (the
 * moment a forward step would have stopped at). Replays from the checkpoint before it. At the
 * branch's first moment there is nothing before: it stays.
 */
export function stepBack(w: PlaybackWorld): void {
  const { run, timeline } = w;
  const here = { micro: run.state.micro, at: run.now, steps: run.sim.steps };
  const earlier = (micro: number, at: number) => micro < here.micro || (micro === here.micro && at < here.at);
  const fromCheckpoint = () => timeline.rewindWhere(run, (cp) => earlier(cp.micro, cp.at));
  fromCheckpoint();
  if (earlier(run.state.micro, run.now)) {
    const landOn = lastVisibleChangeBefore(run, here.micro, earlier);
    if (landOn !== run.state.micro || !earlier(run.state.micro, run.now)) {
      fromCheckpoint();
      while (run.state.micro < landOn) run.microStep();
    }
  }
  const stayedAtStart = run.state.micro === here.micro && run.now === here.at;
  // The simulation's clock and step count never go down along a run: a check that does not trust the micro counts.
  const notAhead = run.now <= here.at && run.sim.steps <= here.steps;
  assert((earlier(run.state.micro, run.now) || stayedAtStart) && notAhead,
    `a step back lands before where it started (micro ${here.micro}, step ${here.steps}, ${here.at} ms), not at micro ${run.state.micro}, step ${run.sim.steps}, ${run.now} ms`);
}

/**
 * Runs from the restored checkpoint up to micro-step `end`; returns the last micro count, earlier
 * than the start, at which the signature changed (the checkpoint's own when it never did).
 */
function lastVisibleChangeBefore(run: Run, end: number, earlier: (micro: number, at: number) => boolean): number {
  let landOn = run.state.micro;
  let sig = signature(run);
  while (run.state.micro < end) {
    run.microStep();
    const now = signature(run);
    if (now !== sig && earlier(run.state.micro, run.now)) landOn = run.state.micro;
    sig = now;
  }
  return landOn;
}

/** Shows the moment `at` (simulated ms): the scrubber's right end means the branch's end itself. */
export function seek(w: PlaybackWorld, at: number): void {
  const horizon = w.timeline.horizon;
  const target = at >= horizon - 1 ? horizon : Math.max(0, at);
  w.timeline.rewindTo(w.run, target);
  w.run.advance(target);
}

/** Lands on the step that caused the run's violation number `index` (the checker ran right after it). */
export function seekViolation(w: PlaybackWorld, index: number, at: number): void {
  const { run, timeline } = w;
  timeline.rewindWhere(run, (cp) => cp.at < at);
  while (run.sim.violations.length <= index && run.now <= at) run.microStep();
  assert(run.sim.violations[index]?.at === at, `the replay reaches violation ${index} at ${at} ms (it is at ${run.now} ms with ${run.sim.violations.length} violations)`);
}

/** What each "run until" waits for. */
function matches(until: RunUntil, { event: e }: TimedEvent, run: Run): boolean {
  switch (until) {
    case 'election': return e.type === 'electionStarted';
    case 'commit': return e.type === 'commitAdvanced' && run.sim.node(e.node).raft?.role === 'leader';
    case 'violation': return e.type === 'invariantViolated';
  }
}

/** Runs (as fast as it can) until the next election starts, the leader commits, or an invariant breaks. Returns whether it happened. */
export function runUntil(w: PlaybackWorld, until: RunUntil): boolean {
  const run = w.run;
  let hit = false;
  const stop = run.sim.subscribe((e) => { hit ||= matches(until, e, run); });
  const deadline = run.now + runUntilBudgetMs;
  while (!hit && run.nextAt() <= deadline) run.microStep();
  stop();
  if (!hit) run.advance(deadline);
  w.timeline.record(run, () => w.realNow());
  return hit;
}
