/** Runs the engine in-thread on a manual clock (the tests' world: no worker, no timers). */
import { expect } from 'vitest';
import { Engine, frameMs } from '../src/engine/engine';
import type { EngineOptions } from '../src/engine/engine';
import type { NodeSnapshot, RunSetup, SimSnapshot } from '../src/engine/protocol';
import { fullProtocol } from '../src/engine/protocol';
import { ManualScheduler } from '../src/engine/scheduler';

export const setupOf = (s: Partial<RunSetup> = {}): RunSetup => ({ seed: 1, nodeCount: 3, protocol: { ...fullProtocol }, loadOpsPerSec: 0, lossRate: 0, ...s });

export function start(options: Partial<EngineOptions> = {}) {
  const scheduler = new ManualScheduler();
  const snapshots: SimSnapshot[] = [];
  const engine = new Engine(
    { setup: setupOf(), speed: 1, playing: true, ...options },
    scheduler,
    (s) => snapshots.push(s),
  );
  const last = () => snapshots[snapshots.length - 1]!;
  /** Runs real time in frames until `done` holds on the latest snapshot. */
  const until = async (done: (s: SimSnapshot) => boolean, realMsMax = 60_000) => {
    for (let t = 0; t < realMsMax && !done(last()); t += frameMs) {
      await scheduler.advanceAsync(frameMs);
    }
    expect(done(last())).toBe(true);
    return last();
  };
  return { engine, scheduler, last, until };
}

export const leaderOf = (s: SimSnapshot): NodeSnapshot | undefined => {
  const leaders = s.nodes.filter((n) => n.displayRole === 'leader');
  return leaders.length === 1 ? leaders[0] : undefined;
};

