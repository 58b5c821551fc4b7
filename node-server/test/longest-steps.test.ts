/** The longest-step figures of /raft/status: the longest step of each kind, with and without the GC pauses inside it. */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { LongestSteps } from '../src/host/longest-steps';

const cpuMsSince = (from: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
};

/** A step that holds the thread for at least `ms` (what a long synchronous step is), returning its interval. */
function busy(steps: LongestSteps, ms: number): { start: number; end: number } {
  let start = 0;
  steps.time('snapshotChunk', () => {
    start = performance.now();
    while (performance.now() - start < ms);
  });
  return { start, end: performance.now() };
}

describe('LongestSteps', () => {
  const made: LongestSteps[] = [];
  const fresh = (): LongestSteps => {
    // Only the pauses a test reports count: a real one reaches the observer in a later turn, after
    // these synchronous tests have read their figures.
    const s = new LongestSteps({ settleAfterMs: 60_000 });
    made.push(s);
    return s;
  };
  afterEach(() => made.splice(0).forEach((s) => s.close()));

  it('keeps the longest step of each kind, also of a step that throws', () => {
    const steps = fresh();
    steps.time('core', () => undefined);
    busy(steps, 3);
    expect(() => steps.time('snapshotCommit', () => {
      for (const t = performance.now(); performance.now() - t < 4;);
      throw new Error('disk');
    })).toThrow('disk');
    busy(steps, 11);
    const v = steps.view();
    expect(v.snapshotChunk).toBeGreaterThanOrEqual(11);
    expect(v.snapshotCommit).toBeGreaterThanOrEqual(4);
    expect(v.core).toBeLessThan(v.snapshotChunk);
    expect([v.coreSteps, v.snapshotChunkSteps, v.snapshotCommitSteps]).toEqual([1, 2, 1]);
    expect([v.coreOver10Ms, v.snapshotChunkOver10Ms, v.snapshotCommitOver10Ms]).toEqual([0, 1, 0]);
  });

  it('clocks the CPU time of the snapshot steps: a step that computes uses about its wall time, one that waits almost none', () => {
    const steps = fresh();
    // The step computes until the process has used 20 ms of CPU (its other threads are idle), however
    // long that takes on a busy machine.
    steps.time('snapshotChunk', () => {
      const from = process.cpuUsage();
      while (cpuMsSince(from) < 20);
    });
    // The thread sleeps for 40 ms inside the step: wall time that is not the step's work, as a
    // wait for a core would be.
    steps.time('snapshotCommit', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 40));
    steps.time('core', () => undefined);
    const v = steps.view();
    // Within a scheduler tick (4 ms at 250 Hz) of those 20 ms.
    expect(v.snapshotChunkCpu).toBeGreaterThanOrEqual(10);
    expect(v.snapshotChunkCpu).toBeLessThanOrEqual(v.snapshotChunk + 5);
    expect(v.snapshotCommit).toBeGreaterThanOrEqual(40);
    expect(v.snapshotCommitCpu).toBeLessThan(10);
    expect(v).not.toHaveProperty('coreCpu');
  });

  it.runIf(process.platform === 'linux')('on Linux clocks the main thread alone: another thread busy during a step that waits adds nothing', async () => {
    const steps = fresh();
    expect(steps.cpuClock).toBe('main thread');
    // A worker spins until its own thread has run for 100 ms, then flags that it is done. The step
    // waits for that flag: however busy the machine, the worker's 100 ms land inside the step.
    const done = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(
      `const fs = require('node:fs'); const { workerData } = require('node:worker_threads');
       const ranMs = () => Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
       const from = ranMs(); while (ranMs() - from < 100);
       const f = new Int32Array(workerData); Atomics.store(f, 0, 1); Atomics.notify(f, 0);`,
      { eval: true, workerData: done.buffer },
    );
    try {
      const before = process.cpuUsage();
      steps.time('snapshotCommit', () => Atomics.wait(done, 0, 0, 30_000));
      expect(Atomics.load(done, 0)).toBe(1);
      // The process's clock saw the worker's 100 ms during the step; the main thread's did not.
      expect(cpuMsSince(before)).toBeGreaterThan(90);
      expect(steps.view().snapshotCommitCpu).toBeLessThan(10);
    } finally {
      await worker.terminate();
    }
  });

  it('takes the GC pauses inside a long step out of its figure without GC, and only those', () => {
    const steps = fresh();
    const step = busy(steps, 12);
    // Two pauses inside the step (3 and 2 ms), one before it and one after it.
    steps.notePauses([
      { start: step.start - 30, end: step.start - 10 },
      { start: step.start + 1, end: step.start + 4 },
      { start: step.start + 6, end: step.start + 8 },
      { start: step.end + 10, end: step.end + 40 },
    ]);
    const v = steps.view();
    expect(v.snapshotChunk).toBeGreaterThanOrEqual(12);
    expect(v.snapshotChunkWithoutGc).toBeCloseTo(v.snapshotChunk - 5, 1);
  });

  it('counts a long step as it is until its pauses are reported: the figure without GC is never too low', () => {
    const steps = fresh();
    busy(steps, 6);
    const v = steps.view();
    expect(v.snapshotChunkWithoutGc).toBe(v.snapshotChunk);
  });

  it('a step waits for its pauses: a report that came right after it, without them, does not settle it', () => {
    const steps = fresh();
    const step = busy(steps, 8);
    // An observer call that was due before the step runs right after it, with a pause from before it...
    steps.notePauses([{ start: step.start - 50, end: step.start - 40 }]);
    // ...and the step's own pause comes in the next one.
    steps.notePauses([{ start: step.start + 1, end: step.start + 4 }]);
    const v = steps.view();
    expect(v.snapshotChunkWithoutGc).toBeCloseTo(v.snapshotChunk - 3, 1);
  });
});
