import { describe, expect, it } from 'vitest';
import { fullProtocol } from '../src/engine/protocol';
import { Run } from '../src/engine/run';
import { playgroundSimConfig } from '../src/engine/sim-config';
import { Timeline } from '../src/engine/timeline';

const limits = { checkpointEverySimMs: 100, checkpointEveryRealMs: 0, checkpointsMax: 8, branchesMax: 3 };
const newRun = (seed: number) => {
  const setup = { seed, nodeCount: 3, protocol: { ...fullProtocol }, loadOpsPerSec: 0, lossRate: 0 };
  return new Run(setup, playgroundSimConfig(setup));
};

describe('timeline', () => {
  it('checkpoints as time moves on, thinning old ones but keeping the start', () => {
    const run = newRun(1);
    const timeline = new Timeline(run, limits);
    let real = 0;
    for (let t = 100; t <= 3000; t += 100) {
      run.advance(t);
      timeline.record(run, () => (real += 1));
    }
    expect(timeline.horizon).toBe(run.now);
    expect(timeline.checkpointCount).toBeLessThanOrEqual(limits.checkpointsMax);
    // Rewinding to 0 is always possible.
    timeline.rewindTo(run, 0);
    expect(run.now).toBe(0);
  });

  it('keeps the recorded future while rewound; a new action there starts a branch and keeps the old one', () => {
    const run = newRun(2);
    const timeline = new Timeline(run, limits);
    run.advance(2000);
    run.applyEntry(timeline.append(run, { type: 'sim', action: { type: 'crash', node: 'n1' } }));
    run.advance(2500);
    timeline.record(run, () => 0);
    expect(timeline.current.script).toHaveLength(1);

    timeline.rewindTo(run, 1000);
    expect(run.now).toBeLessThanOrEqual(1000);
    expect(timeline.isInPast(run)).toBe(true);
    expect(run.pending()?.action).toEqual({ type: 'sim', action: { type: 'crash', node: 'n1' } });

    run.advance(1000);
    run.applyEntry(timeline.append(run, { type: 'sim', action: { type: 'isolate', node: 'n2' } }));
    expect(timeline.branches.map((b) => b.name)).toEqual(['main', 'branch 2']);
    expect(timeline.current.script.map((e) => e.action)).toEqual([{ type: 'sim', action: { type: 'isolate', node: 'n2' } }]);
    expect(timeline.branches[0]!.script).toHaveLength(1);
    expect(timeline.branches[0]!.horizon).toBe(2500);
    expect(timeline.horizon).toBe(1000);
    expect(timeline.isInPast(run)).toBe(false);
  });

  it('keeps at most branchesMax branches, forgetting the oldest one not shown', () => {
    const run = newRun(3);
    const timeline = new Timeline(run, limits);
    for (let i = 0; i < 5; i++) {
      run.advance(run.now + 200);
      timeline.record(run, () => 0);
      timeline.rewindTo(run, 0);
      run.applyEntry(timeline.append(run, { type: 'sim', action: { type: 'healAll' } }));
    }
    expect(timeline.branches).toHaveLength(limits.branchesMax);
    expect(timeline.branches).toContain(timeline.current);
  });
});
