import { describe, expect, it } from 'vitest';
import { Simulation } from '@raft-kv/core/sim';
import { Timeline } from '../src/engine/timeline';

const limits = { checkpointEverySimMs: 100, checkpointEveryRealMs: 0, checkpointsMax: 8 };

describe('timeline', () => {
  it('checkpoints as time moves on, thinning old ones but keeping the start', () => {
    const sim = new Simulation({ seed: 1, nodeCount: 3 });
    const timeline = new Timeline(sim, limits);
    let real = 0;
    for (let t = 0; t < 3000; t += 100) {
      sim.runFor(100);
      timeline.record(sim, () => (real += 1));
    }
    expect(timeline.horizon).toBe(sim.now);
    expect(timeline.checkpointCount).toBeLessThanOrEqual(limits.checkpointsMax);
    // Rewinding to 0 is always possible.
    timeline.rewindTo(sim, 0);
    expect(sim.now).toBe(0);
  });

  it('keeps the recorded future while rewound, and forgets it on a fork', () => {
    const sim = new Simulation({ seed: 2, nodeCount: 3 });
    const timeline = new Timeline(sim, limits);
    sim.runFor(2000);
    sim.act({ type: 'crash', node: 'n1' });
    sim.runFor(500);
    timeline.record(sim, () => 0);
    expect(timeline.actions).toHaveLength(1);

    timeline.rewindTo(sim, 1000);
    expect(sim.now).toBeLessThanOrEqual(1000);
    expect(timeline.isInPast(sim)).toBe(true);
    expect(timeline.nextPending(sim)?.action).toEqual({ type: 'crash', node: 'n1' });

    timeline.fork(sim);
    expect(timeline.nextPending(sim)).toBeUndefined();
    expect(timeline.horizon).toBe(sim.now);
    expect(timeline.isInPast(sim)).toBe(false);
  });
});
