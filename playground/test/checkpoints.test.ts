/**
 * Time travel must not depend on which checkpoints the timeline kept. It takes them at moments
 * chosen by real time (how long frames and copies took, how many it already holds), so one page
 * keeps some and another page others: a replay from any of them must pass through exactly the
 * states the run had, and seeking a violation then stepping back must land before it whichever
 * were kept. (CI once saw a step back from a violation at 1,276 ms land at 1,287 ms.)
 *
 * The run is the guided Figure 8 without the current-term rule: its script acts while it runs
 * (entries applied as they are recorded, not replayed), and it ends on the violation.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine';
import type { SimSnapshot } from '../src/engine/protocol';
import type { Run, RunCheckpoint } from '../src/engine/run';
import type { TimelineLimits } from '../src/engine/timeline';
import { setupOf, start } from './engine-harness';

/** A checkpoint at every moment the timeline records: every one the real-time rule could have chosen. */
const atEveryMoment: TimelineLimits = { checkpointEverySimMs: 0, checkpointEveryRealMs: 0, checkpointsMax: Infinity, branchesMax: 12 };

/** Where a run is, and what its world is: equal moments are the same state. */
function moment(run: Run) {
  return { micro: run.state.micro, steps: run.sim.steps, applied: run.state.applied, at: run.now, hash: run.sim.stateHash() };
}

function momentOf(run: Run, cp: RunCheckpoint) {
  run.restore(cp);
  return moment(run);
}

/** Replays from `from` to the micro-step `to` was taken at, then moves the clock to its time (as a frame's end does). */
function replayed(run: Run, from: RunCheckpoint, to: RunCheckpoint) {
  run.restore(from);
  while (run.state.micro < to.micro) run.microStep();
  run.sim.runUntilTime(to.at);
  return moment(run);
}

interface Recorded {
  engine: Engine;
  last: () => SimSnapshot;
  checkpoints: RunCheckpoint[];
  /** The first state-machine-safety violation: the one the e2e test clicks. */
  index: number;
  violationAt: number;
}

async function figure8UnsafeRun(): Promise<Recorded> {
  const e = start({ speed: 100, setup: setupOf({ seed: 7 }), timelineLimits: atEveryMoment });
  e.engine.handle({ type: 'runScenario', id: 'figure8-unsafe' });
  const done = await e.until((s) => s.scenarioStatus['figure8-unsafe'] !== 'running', 120_000);
  expect(done.scenarioStatus['figure8-unsafe']).toBe('pass');
  const index = done.lab!.safety.find((p) => p.id === 'state_machine_safety')!.violations[0]!;
  return { engine: e.engine, last: e.last, checkpoints: [...e.engine.timeline.current.checkpoints], index, violationAt: done.violations[index]!.at };
}

describe('checkpoints taken while a guided scenario acts', () => {
  let recorded: Recorded;
  beforeAll(async () => {
    recorded = await figure8UnsafeRun();
  });

  it('a replay from any checkpoint passes through the next one exactly (micro-step count, steps, actions, time, state hash)', () => {
    const { engine: { run }, checkpoints } = recorded;
    // Some checkpoints were taken while the script was acting (after some of its actions, before others).
    const actions = recorded.engine.timeline.current.script.length;
    expect(checkpoints.filter((cp) => cp.state.applied > 0 && cp.state.applied < actions).length).toBeGreaterThan(3);
    const first = checkpoints[0]!;
    const mismatches: string[] = [];
    checkpoints.forEach((to, i) => {
      if (i === 0) return;
      const want = momentOf(run, to);
      for (const from of [first, checkpoints[i - 1]!]) {
        const got = replayed(run, from, to);
        if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`from ${from.at} to ${to.at}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
      }
    });
    expect(mismatches).toEqual([]);
  });

  it('seeking the violation lands on its step, and a step back lands before it, whichever checkpoints were kept', () => {
    const { engine: e, last, checkpoints, index, violationAt } = recorded;
    const timeline = e.timeline;
    const first = checkpoints[0]!;
    const end = checkpoints[checkpoints.length - 1]!;
    const where = () => ({ now: last().clock.now, steps: e.run.sim.steps, violations: last().violations.length, micro: e.run.state.micro });
    const failures: string[] = [];
    for (const middle of checkpoints) {
      timeline.current.checkpoints = [...new Set([first, middle, end])];
      // As the e2e test does: back to the start, to the end, then the violation's link, then step back.
      e.handle({ type: 'seek', at: 0 });
      e.handle({ type: 'seek', at: timeline.horizon + 2000 });
      e.handle({ type: 'seekViolation', index });
      const atViolation = where();
      e.handle({ type: 'stepBack' });
      const back = where();
      const landedOnViolation = atViolation.now === violationAt && atViolation.violations === index + 1;
      const wentBack = back.micro < atViolation.micro && back.steps <= atViolation.steps && back.now <= violationAt && back.violations <= index;
      if (!landedOnViolation || !wentBack) failures.push(`kept ${middle.at}: at the violation ${JSON.stringify(atViolation)}, after a step back ${JSON.stringify(back)}`);
    }
    timeline.current.checkpoints = checkpoints;
    expect(failures).toEqual([]);
  });
});

describe('an action taken between two tasks of the same instant', () => {
  it('replays at that point: the task still due at that instant runs after it, as it did', () => {
    const e = start({ speed: 1, playing: false, setup: setupOf({ seed: 7, loadOpsPerSec: 20 }) });
    const run = e.engine.run;
    // Micro-step by micro-step (what the step button does) to a moment where another task is due at the same instant.
    for (let i = 0; i < 5000 && !(run.now > 0 && run.sim.nextEventTime() === run.now); i++) run.microStep();
    expect(run.sim.nextEventTime()).toBe(run.now);
    e.engine.handle({ type: 'act', action: { type: 'crash', node: 'n2' } });
    const recorded = moment(run);
    run.restore(e.engine.timeline.current.checkpoints[0]!);
    while (run.state.applied < 1) run.microStep();
    expect(moment(run)).toEqual(recorded);
  });
});
