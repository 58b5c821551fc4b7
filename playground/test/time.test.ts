/**
 * Time you can trust: the same actions give the same state at any playback speed, a link replays a
 * run to the same state hash, a step back undoes a step forward, acting in the past starts a
 * branch and the old future stays reachable, and "run until" stops where it says.
 */
import { describe, expect, it } from 'vitest';
import type { EngineCommand, SimSnapshot } from '../src/engine/protocol';
import { leaderOf, setupOf, start } from './engine-harness';

/** Plays at `speed`, sending each command once the page's clock passes its time; pauses at `end`. */
async function record(speed: number, commands: [number, EngineCommand][], end: number) {
  const e = start({ speed, setup: setupOf({ seed: 11, nodeCount: 5, loadOpsPerSec: 20, lossRate: 0.02 }) });
  let i = 0;
  while (e.last().clock.now < end) {
    await e.scheduler.advanceAsync(16);
    while (i < commands.length && e.last().clock.now >= commands[i]![0]) e.engine.handle(commands[i++]![1]);
  }
  e.engine.handle({ type: 'pause' });
  return e;
}

const commands: [number, EngineCommand][] = [
  [1500, { type: 'act', action: { type: 'crash', node: 'n2' } }],
  [2500, { type: 'act', action: { type: 'cut', from: 'n1', to: 'n3', bothWays: false } }],
  [3000, { type: 'act', action: { type: 'setNetwork', network: { lossRate: 0.1 } } }],
  [3500, { type: 'setLoad', opsPerSec: 50 }],
  [4000, { type: 'client', op: 'put', target: 'n4', key: 'k', value: 'v', stale: false, client: 'c2', retry: true }],
];

const shared = (s: SimSnapshot) => ({ setup: s.setup, script: s.lab!.script, at: s.clock.now });

describe('shareable runs', () => {
  for (const speed of [0.5, 10]) {
    it(`a run recorded at ${speed}x, opened from its link, reaches the same state hash at the same time`, async () => {
      const original = await record(speed, commands, 6000);
      const s = original.last();
      expect(s.lab!.script).toHaveLength(commands.length);
      const opened = start({ speed: 0.1, open: shared(s) });
      expect(opened.last().clock.now).toBe(s.clock.now);
      expect(opened.last().lab!.stateHash).toBe(s.lab!.stateHash);
      expect(opened.last().clock.playing).toBe(false);
      // And it differs from a run without the actions: the hash says something.
      const fresh = start({ speed: 0.1, open: { setup: s.setup, script: [], at: s.clock.now } });
      expect(fresh.last().lab!.stateHash).not.toBe(s.lab!.stateHash);
    });
  }

  it('played frame by frame from the start instead of at once, the same script reaches the same hash', async () => {
    const original = await record(5, commands, 5000);
    const s = original.last();
    const slow = start({ speed: 3, open: { ...shared(s), at: 0 } });
    slow.engine.handle({ type: 'play' });
    await slow.until((x) => x.clock.now >= s.clock.now + 200);
    slow.engine.handle({ type: 'pause' });
    slow.engine.handle({ type: 'seek', at: s.clock.now });
    expect(slow.last().clock.now).toBe(s.clock.now);
    expect(slow.last().lab!.stateHash).toBe(s.lab!.stateHash);
  });
});

describe('stepping', () => {
  it('a step back returns to the moment before the last step forward', async () => {
    const e = start({ speed: 10, setup: setupOf({ seed: 4 }) });
    await e.until((s) => leaderOf(s) !== undefined);
    e.engine.handle({ type: 'pause' });
    e.engine.handle({ type: 'step' });
    const moments: SimSnapshot[] = [e.last()];
    for (let i = 0; i < 5; i++) {
      e.engine.handle({ type: 'step' });
      moments.push(e.last());
    }
    for (let i = moments.length - 2; i >= 0; i--) {
      e.engine.handle({ type: 'stepBack' });
      expect(e.last().clock.now).toBe(moments[i]!.clock.now);
      expect(e.last().lab!.stateHash).toBe(moments[i]!.lab!.stateHash);
    }
  });

  it('run until: the next election, the next commit, and no violation within the budget with the safe rules', async () => {
    const e = start({ speed: 10, setup: setupOf({ seed: 6 }) });
    await e.until((s) => leaderOf(s) !== undefined && s.clock.now > 1500);
    e.engine.handle({ type: 'pause' });
    const leader = leaderOf(e.last())!.id;
    e.engine.handle({ type: 'act', action: { type: 'crash', node: leader } });
    e.engine.handle({ type: 'runUntil', until: 'election' });
    expect(e.last().nodes.some((n) => n.role === 'preCandidate' || n.role === 'candidate')).toBe(true);
    e.engine.handle({ type: 'client', op: 'put', target: 'leader', key: 'a', value: '1', stale: false });
    const before = e.last().clock.now;
    e.engine.handle({ type: 'runUntil', until: 'commit' });
    expect(e.last().clock.now).toBeGreaterThan(before);
    expect(e.last().nodes.some((n) => n.displayRole === 'leader')).toBe(true);
    const t = e.last().clock.now;
    e.engine.handle({ type: 'runUntil', until: 'violation' });
    expect(e.last().violations).toEqual([]);
    expect(e.last().clock.now).toBeCloseTo(t + 60_000, 3);
  });
});

describe('branches', () => {
  it('acting in the past starts a branch; the old future stays and can be switched back to', async () => {
    const e = start({ speed: 20, setup: setupOf({ seed: 5 }) });
    const first = leaderOf(await e.until((s) => leaderOf(s) !== undefined))!;
    e.engine.handle({ type: 'act', action: { type: 'crash', node: first.id } });
    await e.until((s) => s.clock.now > 5000);
    e.engine.handle({ type: 'pause' });
    const end = e.last();
    e.engine.handle({ type: 'seek', at: 300 });
    e.engine.handle({ type: 'act', action: { type: 'isolate', node: 'n3' } });
    let s = e.last();
    expect(s.lab!.branches.map((b) => [b.name, b.current])).toEqual([['main', false], ['branch 2', true]]);
    expect(s.lab!.branches[0]!.horizon).toBe(end.clock.now);
    expect(s.nodes.every((n) => n.up)).toBe(true);
    e.engine.handle({ type: 'play' });
    await e.until((x) => x.clock.now > 3000);
    e.engine.handle({ type: 'switchBranch', id: s.lab!.branches[0]!.id });
    s = e.last();
    expect(s.lab!.branches.find((b) => b.current)!.name).toBe('main');
    expect(s.nodes.find((n) => n.id === first.id)!.up).toBe(false);
    expect(s.cutLinks).toEqual([]);
    e.engine.handle({ type: 'seek', at: end.clock.now });
    expect(e.last().lab!.stateHash).toBe(end.lab!.stateHash);
  });
});
